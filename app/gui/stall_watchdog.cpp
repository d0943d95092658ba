#include "gui/stall_watchdog.h"

#include <QStringList>
#include <cstdio>
#include <ctime>

namespace {
constexpr int kIntervalMs = 10;
}

StallWatchdog::StallWatchdog(QObject* parent) : QObject(parent) {
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(kIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &StallWatchdog::tick);
    m_log = qEnvironmentVariableIsSet("QUANTBENCH_STALL_LOG");
    m_clock.start();
    m_lastNs = m_clock.nsecsElapsed();
    m_timer.start();
}

void StallWatchdog::tick() {
    const qint64 now = m_clock.nsecsElapsed();
    const double stallMs = std::max(0.0, double(now - m_lastNs) / 1e6 - kIntervalMs);
    m_lastNs = now;
    timespec cpu{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    const qint64 cpuNs = qint64(cpu.tv_sec) * 1000000000 + cpu.tv_nsec;
    const double busyMs = double(cpuNs - m_lastCpuNs) / 1e6; // the GUI thread's own work in the gap
    m_lastCpuNs = cpuNs;
    if (stallMs > 50 && m_log)
        std::fprintf(stderr, "quantbench: the GUI thread stalled %.1f ms (%s), %.1f ms of it running\n", stallMs, qPrintable(m_phase), busyMs);
    double& longest = m_longest[m_phase];
    longest = std::max(longest, stallMs);
}

double StallWatchdog::longestMs(const QString& phase) const {
    const auto it = m_longest.find(phase);
    return it == m_longest.end() ? 0.0 : it->second;
}

double StallWatchdog::longestMs() const {
    double m = 0;
    for (const auto& [phase, ms] : m_longest) m = std::max(m, ms);
    return m;
}

QString StallWatchdog::report() const {
    QStringList parts;
    for (const auto& [phase, ms] : m_longest) parts << QString("%1 %2 ms").arg(phase).arg(ms, 0, 'f', 1);
    return parts.join(", ");
}
