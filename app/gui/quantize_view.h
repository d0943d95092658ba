#pragma once
// The Quantize view: the precisions to make (a row each, with the methods as
// checkable columns), each with its help and the predicted file size and
// device memory at the chosen context for this model, marked when it will not
// fit; the evaluation settings; Run / Cancel. And the budget planner: the
// recommendation for "fits in N GB at context C for use case U" from the
// measured numbers.
#include "eval/sweep.h"
#include "gui/device_choice.h"
#include "gui/model_load_worker.h"

#include <QWidget>
#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTextBrowser;

class QuantizeView : public QWidget {
    Q_OBJECT
public:
    explicit QuantizeView(QWidget* parent = nullptr);

    void setModel(std::shared_ptr<const LoadedModel> model);
    void setDevice(const DeviceChoice& device);
    void setResults(const nlohmann::json& results); // for the budget planner
    void setRunning(bool running);

    // Variant names as the sweep takes them: "Q4_0", "Q4_0:gptq".
    QStringList checkedVariants() const;
    void setCheckedVariants(const QStringList& names);
    // The sweep to run, or nullopt with the reason in `error`.
    std::optional<qb::SweepOptions> sweepOptions(QString* error) const;

    // Evaluation settings (also restored from QSettings by the window).
    void setTextPath(const QString& p);
    void setTasksPath(const QString& p);
    void setCalibrationPath(const QString& p);
    void setOutputDir(const QString& p);
    QString outputDir() const;
    QString textPath() const;
    QString tasksPath() const;
    QString calibrationPath() const;
    void setEvaluationSize(int ctx, int chunks, int benchPp, int benchTg, int repetitions);
    int contextLength() const;

    // The planner (exposed for tests).
    QString recommendText() const;
    void planBudget(double gigabytes, int ctx, const QString& useCase);

    QTableWidget* table() const { return m_table; }
    qint64 predictedBytes(const QString& precision) const; // -1 when unknown

signals:
    void runRequested();
    void cancelRequested();
    void settingsChanged();

private:
    void fillTable();
    void updatePredictions();
    void recommend();
    QString browse(const QString& title, QLineEdit* edit, bool folder);

    std::shared_ptr<const LoadedModel> m_model;
    DeviceChoice m_device;
    nlohmann::json m_results;
    QTableWidget* m_table;
    QLabel* m_summary;
    QLineEdit* m_text;
    QLineEdit* m_tasks;
    QLineEdit* m_calib;
    QLineEdit* m_outDir;
    QSpinBox* m_ctx;
    QSpinBox* m_chunks;
    QSpinBox* m_benchPp;
    QSpinBox* m_benchTg;
    QSpinBox* m_reps;
    QComboBox* m_group;
    QCheckBox* m_actOrder;
    QComboBox* m_reference;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QDoubleSpinBox* m_budget;
    QSpinBox* m_budgetCtx;
    QComboBox* m_useCase;
    QTextBrowser* m_recommendation;
};
