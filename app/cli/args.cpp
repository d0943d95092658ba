#include "cli/args.h"

#include "common/error.h"

namespace qbcli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags, const std::set<std::string>& options) {
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.'))) {
            std::string name = a, value;
            bool inlineValue = false;
            if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
                name = a.substr(0, eq);
                value = a.substr(eq + 1);
                inlineValue = true;
            }
            if (flags.count(name)) {
                m_flags.insert(name);
                continue;
            }
            if (!options.count(name)) throw qb::Error("unknown option '" + name + "'");
            if (!inlineValue) {
                if (i + 1 >= argv.size()) throw qb::Error("option '" + name + "' expects a value");
                value = argv[++i];
            }
            m_values[name] = value;
            continue;
        }
        m_positional.push_back(a);
    }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

int Args::getInt(const std::string& name, int fallback) const {
    if (!has(name)) return fallback;
    try {
        size_t used = 0;
        const int v = std::stoi(get(name), &used);
        if (used == get(name).size()) return v;
    } catch (...) {
    }
    throw qb::Error("option '" + name + "': '" + get(name) + "' is not a whole number");
}

double Args::getDouble(const std::string& name, double fallback) const {
    if (!has(name)) return fallback;
    try {
        size_t used = 0;
        const double v = std::stod(get(name), &used);
        if (used == get(name).size()) return v;
    } catch (...) {
    }
    throw qb::Error("option '" + name + "': '" + get(name) + "' is not a number");
}

uint64_t Args::getU64(const std::string& name, uint64_t fallback) const {
    if (!has(name)) return fallback;
    try {
        size_t used = 0;
        const uint64_t v = std::stoull(get(name), &used);
        if (used == get(name).size()) return v;
    } catch (...) {
    }
    throw qb::Error("option '" + name + "': '" + get(name) + "' is not a non-negative whole number");
}

} // namespace qbcli
