#pragma once
// Progress of a long CLI job on stderr: on a terminal one line that updates
// in place with an ETA; in a pipe, plain lines (at most one per second).
#include <chrono>
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

} // namespace qbcli
