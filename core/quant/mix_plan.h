#pragma once
// Mixed precision chosen from measured sensitivity: a type for every tensor in
// the sensitivity table that minimises the predicted divergence (the sum of
// each tensor's own, measured alone) within a size budget, or the smallest mix
// whose predicted divergence stays under a bound. An exact dynamic programme
// over sizes (the multiple-choice knapsack), sizes rounded up to a unit of
// 1/20000 of the budget so a chosen mix never exceeds it.
#include "quant/sensitivity.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qb {

enum class MixGoal { BitsPerWeight, FileBytes, MaxKld };

struct MixTarget {
    MixGoal goal = MixGoal::BitsPerWeight;
    double value = 0; // bits per weight (all tensors, as llama.cpp prints), file bytes, or KLD in nats
    std::string label() const; // "auto 4.50 bpw", "auto 1200000 B", "auto KLD<=0.01"
    std::string option() const; // the CLI option that sets it: "--target-bpw", ...
};

struct MixChoice {
    std::vector<GgmlType> types;  // per table.tensors
    uint64_t bytes = 0;           // their data, in total
    double predictedKld = 0;      // the sum of their measured divergences
};

// Chooses within `budgetBytes` for the table's tensors (minimise the predicted
// divergence), or, when `maxKld` >= 0, the fewest bytes whose predicted
// divergence is at most maxKld. Throws naming `option` with the bound when
// nothing fits (the smallest mix is larger than the budget; no mix is within
// the divergence).
MixChoice chooseMixWithinBytes(const SensitivityTable& table, uint64_t budgetBytes, const std::string& option);
MixChoice chooseMixWithinKld(const SensitivityTable& table, double maxKld, const std::string& option);

// What a mix was made from and how its prediction held: in the quantize report.
struct MixReport {
    std::string target;                 // MixTarget::label()
    std::vector<std::string> candidates;
    std::string calibration;            // the calibration text's file name
    SensitivityTable sensitivity;
    std::vector<GgmlType> chosen;       // per sensitivity.tensors
    double predictedKld = 0;
    double measuredKld = -1;            // the written file against the source, same tokens; < 0 when not measured
};

} // namespace qb
