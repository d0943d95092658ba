#include "quant/mix_plan.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace qb {

std::string MixTarget::label() const {
    char b[64];
    switch (goal) {
    case MixGoal::BitsPerWeight: std::snprintf(b, sizeof b, "auto %.2f bpw", value); break;
    case MixGoal::FileBytes: std::snprintf(b, sizeof b, "auto %.0f B", value); break;
    case MixGoal::MaxKld: std::snprintf(b, sizeof b, "auto KLD<=%g", value); break;
    }
    return b;
}

std::string MixTarget::option() const {
    switch (goal) {
    case MixGoal::BitsPerWeight: return "--target-bpw";
    case MixGoal::FileBytes: return "--target-bytes";
    case MixGoal::MaxKld: return "--max-kld";
    }
    return "";
}

namespace {

constexpr uint64_t kUnits = 20000; // size resolution of the programme

// best[c]: the least predicted divergence of a mix of cost at most c units;
// pick[i][c]: tensor i's option in that mix.
struct Programme {
    uint64_t unit = 1;
    std::vector<double> best;
    std::vector<std::vector<uint8_t>> pick;
};

uint64_t costOf(uint64_t bytes, uint64_t unit) { return (bytes + unit - 1) / unit; }

Programme solve(const SensitivityTable& table, uint64_t unit, uint64_t capacity) {
    constexpr double kNone = std::numeric_limits<double>::infinity();
    Programme p;
    p.unit = unit;
    p.best.assign(capacity + 1, 0.0);
    std::vector<double> next(capacity + 1);
    for (const TensorSensitivity& t : table.tensors) {
        std::vector<uint8_t> pick(capacity + 1, 0);
        std::fill(next.begin(), next.end(), kNone);
        for (size_t j = 0; j < t.options.size(); ++j) {
            const uint64_t cost = costOf(t.options[j].bytes, unit);
            const double kld = std::max(0.0, t.options[j].kld); // a measured divergence below zero is rounding noise
            for (uint64_t c = cost; c <= capacity; ++c) {
                const double v = p.best[c - cost] + kld;
                if (v < next[c]) {
                    next[c] = v;
                    pick[c] = uint8_t(j);
                }
            }
        }
        p.best.swap(next);
        p.pick.push_back(std::move(pick));
    }
    return p;
}

MixChoice backtrack(const SensitivityTable& table, const Programme& p, uint64_t c) {
    MixChoice m;
    m.types.resize(table.tensors.size());
    for (size_t i = table.tensors.size(); i-- > 0;) {
        const TypeCost& o = table.tensors[i].options[p.pick[i][c]];
        m.types[i] = o.type;
        m.bytes += o.bytes;
        m.predictedKld += std::max(0.0, o.kld);
        c -= costOf(o.bytes, p.unit);
    }
    return m;
}

MixChoice extreme(const SensitivityTable& table, bool smallest) {
    MixChoice m;
    for (const TensorSensitivity& t : table.tensors) {
        const TypeCost& o = smallest ? t.options.front() : t.options.back();
        m.types.push_back(o.type);
        m.bytes += o.bytes;
        m.predictedKld += std::max(0.0, o.kld);
    }
    return m;
}

std::string mb(uint64_t bytes) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f MB", double(bytes) / 1e6);
    return b;
}

} // namespace

MixChoice chooseMixWithinBytes(const SensitivityTable& table, uint64_t budget, const std::string& option) {
    const MixChoice smallest = extreme(table, true);
    if (smallest.bytes > budget)
        throw Error("option '" + option + "': leaves " + mb(budget) + " for the tensors the mix chooses, expected at least " +
                    mb(smallest.bytes) + " (each at its smallest candidate type)");
    if (table.tensors.empty()) return smallest;
    const MixChoice largest = extreme(table, false);
    if (largest.bytes <= budget) return largest;
    const uint64_t unit = std::max<uint64_t>(1, (budget + kUnits - 1) / kUnits);
    const uint64_t capacity = budget / unit;
    const Programme p = solve(table, unit, capacity);
    if (!std::isfinite(p.best[capacity])) return smallest; // fits in bytes, not once sizes are rounded up to the unit
    return backtrack(table, p, capacity);
}

MixChoice chooseMixWithinKld(const SensitivityTable& table, double maxKld, const std::string& option) {
    double least = 0;
    for (const TensorSensitivity& t : table.tensors) {
        double m = std::numeric_limits<double>::infinity();
        for (const TypeCost& o : t.options) m = std::min(m, std::max(0.0, o.kld));
        least += m;
    }
    if (least > maxKld) {
        char b[160];
        std::snprintf(b, sizeof b, "%g nats, expected at least %g (the least predicted divergence of the candidate types)", maxKld, least);
        throw Error("option '" + option + "': " + b);
    }
    const MixChoice smallest = extreme(table, true);
    if (smallest.predictedKld <= maxKld || table.tensors.empty()) return smallest;
    const MixChoice largest = extreme(table, false);
    const uint64_t unit = std::max<uint64_t>(1, (largest.bytes + kUnits - 1) / kUnits);
    uint64_t capacity = 0;
    for (const TensorSensitivity& t : table.tensors) {
        uint64_t c = 0;
        for (const TypeCost& o : t.options) c = std::max(c, costOf(o.bytes, unit));
        capacity += c;
    }
    const Programme p = solve(table, unit, capacity);
    for (uint64_t c = 0; c <= capacity; ++c)
        if (p.best[c] <= maxKld) return backtrack(table, p, c);
    return largest; // unreachable: the least divergence is within the bound and fits the full capacity
}

} // namespace qb
