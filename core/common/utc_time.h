#pragma once
// The current UTC time formatted with strftime (results timestamps, today's date for templates).
#include <ctime>
#include <string>

namespace qb {

inline std::string utcNow(const char* format) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

} // namespace qb
