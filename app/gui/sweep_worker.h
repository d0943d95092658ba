#pragma once
// Runs one sweep (core/eval/sweep) on its own thread: quantize each precision,
// measure it against the reference, save results.json. Talks to the window
// only through queued signals; cancel() may be called from any thread and
// lands within one unit of work (a chunk, a tensor, a run).
#include "eval/sweep.h"
#include "gui/json_metatype.h"
#include "run/job.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

class SweepWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    void cancel() { m_cancel.cancel(); }

public slots:
    void run(const qb::SweepOptions& options);

signals:
    // `stage` names the variant ("[2/3] Q4_0: kld"); eta in seconds (0 = unknown)
    void progress(const QString& stage, double done, double total, double etaSeconds);
    void referenceMeasured(const nlohmann::json& results);
    void variantStarted(int index);
    void variantFinished(const nlohmann::json& entry);
    void finished(const nlohmann::json& results);
    void cancelled(const QString& message);
    void failed(const QString& message);

private:
    qb::CancelToken m_cancel;
    QElapsedTimer m_lastProgress;
};

Q_DECLARE_METATYPE(qb::SweepOptions)
