#include "run/job.h"

#include "common/error.h"

namespace qb {

void Job::begin(const std::string& stage, double total, const std::string& unit) {
    checkCancel();
    m_event = ProgressEvent{stage, 0, total, unit, 0, 0};
    m_start = std::chrono::steady_clock::now();
    if (m_progress) m_progress(m_event);
}

void Job::step(double done) {
    m_event.done = done;
    m_event.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    m_event.etaSeconds = done > 0 ? m_event.elapsedSeconds * (m_event.total - done) / done : 0;
    if (m_progress) m_progress(m_event);
    checkCancel();
}

void Job::checkCancel() const {
    if (cancelled()) throw Error((m_event.stage.empty() ? std::string("job") : m_event.stage) + ": cancelled", ErrorKind::Cancelled);
}

} // namespace qb
