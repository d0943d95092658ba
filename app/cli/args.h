#pragma once
// Command-line arguments of one subcommand: positionals, options with a
// value, and boolean flags. Unknown options are errors that name them.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace qbcli {

class Args {
public:
    // `flags`: options without a value; `options`: options taking one value.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& flags, const std::set<std::string>& options);

    const std::vector<std::string>& positional() const { return m_positional; }
    bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
    bool has(const std::string& name) const { return m_values.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;
    int getInt(const std::string& name, int fallback) const;
    double getDouble(const std::string& name, double fallback) const;
    uint64_t getU64(const std::string& name, uint64_t fallback) const;

private:
    std::vector<std::string> m_positional;
    std::set<std::string> m_flags;
    std::map<std::string, std::string> m_values;
};

} // namespace qbcli
