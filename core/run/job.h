#pragma once
// Progress and cancellation for every long call in core/: the caller passes a
// Job (progress callback + cancel token); the work calls job.step(...) between
// units of work (chunks, tasks, tokens). step() computes the ETA and throws
// qb::Error(Cancelled) once the token is set, so cancel is honoured within one
// unit of work. A Job may be shared with another thread only through its token.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace qb {

struct ProgressEvent {
    std::string stage;      // "perplexity", "kld", "mc", "quantize Q4_0", ...
    double done = 0, total = 0;
    std::string unit;       // "chunks", "tasks", "tokens", "bytes"
    double elapsedSeconds = 0;
    double etaSeconds = 0;  // for this stage, from its rate so far
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

// Set from any thread (a Cancel button, SIGINT); read by the worker.
class CancelToken {
public:
    void cancel() { m_cancelled.store(true); }
    void clear() { m_cancelled.store(false); }
    bool cancelled() const { return m_cancelled.load(); }

private:
    std::atomic<bool> m_cancelled{false};
};

class Job {
public:
    Job() = default;
    Job(ProgressFn progress, const CancelToken* cancel) : m_progress(std::move(progress)), m_cancel(cancel) {}
    // Starts timing a new stage (ETA is per stage).
    void begin(const std::string& stage, double total, const std::string& unit);
    // Reports `done` of the stage's total; throws qb::Error(Cancelled) when cancelled.
    void step(double done);
    void checkCancel() const;
    bool cancelled() const { return m_cancel && m_cancel->cancelled(); }
    const CancelToken* token() const { return m_cancel; }
    const ProgressFn& callback() const { return m_progress; }

private:
    ProgressFn m_progress;
    const CancelToken* m_cancel = nullptr;
    ProgressEvent m_event;
    std::chrono::steady_clock::time_point m_start{};
};

// The calling code's "no progress, no cancel".
inline Job& noJob() {
    thread_local Job job;
    return job;
}

} // namespace qb
