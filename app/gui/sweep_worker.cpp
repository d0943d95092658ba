#include "gui/sweep_worker.h"

#include "common/error.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

// The sweep is background work: its thread, and the threads it starts (the
// quantizer's pool, the driver's), run at a lower CPU priority than the GUI
// thread so the window stays responsive on a machine with few cores.
void lowerThisThreadsPriority() {
#ifdef __linux__
    const pid_t tid = pid_t(syscall(SYS_gettid));
    const int now = getpriority(PRIO_PROCESS, id_t(tid));
    if (now < 10) setpriority(PRIO_PROCESS, id_t(tid), 10); // threads created from here inherit it
#endif
}

} // namespace

void SweepWorker::run(const qb::SweepOptions& options) {
    lowerThisThreadsPriority();
    m_cancel.clear();
    m_lastProgress.invalidate();
    qb::Job job(
        [this](const qb::ProgressEvent& e) {
            // at most ~30 updates a second reach the window, and always a stage's first and last
            const bool edge = e.done <= 0 || e.done >= e.total;
            if (!edge && m_lastProgress.isValid() && m_lastProgress.elapsed() < 33) return;
            m_lastProgress.restart();
            emit progress(QString::fromStdString(e.stage), e.done, e.total, e.etaSeconds);
        },
        &m_cancel);
    qb::SweepEvents events;
    events.referenceMeasured = [this](const nlohmann::json& r) { emit referenceMeasured(r); };
    events.variantStarted = [this](int i) { emit variantStarted(i); };
    events.variantFinished = [this](const nlohmann::json& e) { emit variantFinished(e); };
    try {
        emit finished(qb::runSweep(options, job, events));
    } catch (const qb::Error& e) {
        if (e.kind() == qb::ErrorKind::Cancelled) emit cancelled(QString::fromUtf8(e.what()));
        else emit failed(QString::fromUtf8(e.what()));
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
    }
}
