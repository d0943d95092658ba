#include "cli/progress.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace qbcli {

Progress::Progress(std::string what)
    : m_what(std::move(what)), m_tty(isatty(fileno(stderr)) != 0), m_start(std::chrono::steady_clock::now()) {}

void Progress::update(double done, double total, const std::string& detail) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    const bool last = done >= total;
    if (!m_tty && m_printed && !last && std::chrono::duration<double>(now - m_lastPrint).count() < 1.0) return;
    const double eta = done > 0 ? elapsed * (total - done) / done : 0;
    std::fprintf(stderr, "%s%s: %.0f/%.0f (%.0f%%) elapsed %.1fs ETA %.1fs%s%s%s", m_tty ? "\r\033[K" : "", m_what.c_str(), done,
                 total, total > 0 ? 100.0 * done / total : 100.0, elapsed, eta, detail.empty() ? "" : " ", detail.c_str(),
                 m_tty ? "" : "\n");
    std::fflush(stderr);
    m_printed = true;
    m_lastPrint = now;
}

void Progress::finish() {
    if (m_tty && m_printed) std::fprintf(stderr, "\n");
    m_printed = false;
}

namespace {

std::atomic<qb::CancelToken*> g_sigintTarget{nullptr};

extern "C" void onSigint(int) {
    if (qb::CancelToken* t = g_sigintTarget.load()) t->cancel(); // an atomic store: async-signal-safe
}

} // namespace

JobProgress::JobProgress(bool show) : m_job([this](const qb::ProgressEvent& e) { onEvent(e); }, &m_cancel), m_show(show) {
    g_sigintTarget.store(&m_cancel);
    std::signal(SIGINT, onSigint);
}

JobProgress::~JobProgress() {
    std::signal(SIGINT, SIG_DFL);
    g_sigintTarget.store(nullptr);
    finish();
}

void JobProgress::onEvent(const qb::ProgressEvent& e) {
    if (!m_show) return;
    const std::string& stage = e.stage;
    if (!m_line || stage != m_stage) {
        finish();
        m_line = std::make_unique<Progress>(stage);
        m_stage = stage;
    }
    if (e.done > 0 || e.total == 0) m_line->update(e.done, e.total, e.unit);
}

void JobProgress::finish() {
    if (m_line) m_line->finish();
    m_line.reset();
    m_stage.clear();
}

} // namespace qbcli
