#pragma once
// `quantbench --tour DIR MODEL`: drives the real window through the user
// guide's flow — open the model, quantize it to three precisions, compare,
// chat A/B — and saves a picture of each view into DIR (model.png,
// quantize.png, compare.png, chat.png), then quits. The quantized files go
// to a temporary folder. scripts/screenshots.sh
// runs it under Xvfb to make docs/images/.
#include <QObject>
#include <QString>
#include <QTemporaryDir>

class MainWindow;

class Tour : public QObject {
    Q_OBJECT
public:
    Tour(MainWindow* window, const QString& outDir, QObject* parent = nullptr);
    void start(const QString& modelPath);

signals:
    void finished(int exitCode);

private:
    void snap(const QString& name);
    void fail(const QString& why);
    void afterModel();
    void afterSweep();
    void afterChat();

    MainWindow* m_window;
    QString m_out;
    QTemporaryDir m_work; // the tour's sweep (quantized files), removed afterwards
    int m_chatTurns = 0;
};
