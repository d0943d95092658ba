#pragma once
// Measures how long the GUI thread's event loop goes without running: a timer
// asks to fire every 10 ms; the gap beyond that between two firings is a
// stall. Records the longest stall per phase ("sweep", "chat", ...) so the
// GUI tests can print them and fail on a stall over 2 s. With
// QUANTBENCH_STALL_LOG set, every stall over 50 ms is printed as it happens.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <map>

class StallWatchdog : public QObject {
    Q_OBJECT
public:
    explicit StallWatchdog(QObject* parent = nullptr);
    void setPhase(const QString& phase) { m_phase = phase; }
    const QString& phase() const { return m_phase; }
    double longestMs(const QString& phase) const;
    double longestMs() const; // over every phase
    const std::map<QString, double>& longestByPhase() const { return m_longest; }
    QString report() const;   // "sweep 12.3 ms, chat 8.1 ms"

private:
    void tick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0, m_lastCpuNs = 0;
    QString m_phase = "idle";
    bool m_log = false;
    std::map<QString, double> m_longest;
};
