#pragma once
// Progress of a long CLI job on stderr: on a terminal one line that updates
// in place with an ETA; in a pipe, plain lines (at most one per second).
// A JobProgress prints the core's ProgressEvents (one line per stage) and
// turns Ctrl-C into a cancel of the running job.
#include "run/job.h"

#include <chrono>
#include <memory>
#include <string>

namespace qbcli {

class Progress {
public:
    explicit Progress(std::string what);
    void update(double done, double total, const std::string& detail = {});
    void finish();

private:
    std::string m_what;
    bool m_tty;
    std::chrono::steady_clock::time_point m_start, m_lastPrint;
    bool m_printed = false;
};

class JobProgress {
public:
    // show = false: only Ctrl-C handling (a streaming command's own output is its progress).
    explicit JobProgress(bool show = true);
    ~JobProgress();
    qb::Job& job() { return m_job; }
    void clearCancel() { m_cancel.clear(); } // the next job (a REPL's next reply) starts uncancelled
    void finish();

private:
    void onEvent(const qb::ProgressEvent& e);
    qb::CancelToken m_cancel;
    qb::Job m_job;
    bool m_show;
    std::string m_stage;
    std::unique_ptr<Progress> m_line;
};

} // namespace qbcli
