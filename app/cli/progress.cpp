#include "cli/progress.h"

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
}

} // namespace qbcli
