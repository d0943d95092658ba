#pragma once
// A quantization whose types come from measured sensitivity (`quantize
// --target-bpw 4.5 | --target-bytes N | --max-kld K`): measure every tensor's
// divergence in every candidate type on the calibration text, choose the mix,
// turn it into type overrides for the quantizer, and afterwards measure the
// written file's divergence on the same tokens, so the report shows predicted
// against measured. Stages: "sensitivity", then the quantizer's, then "mix check".
#include "quant/mix_plan.h"
#include "quant/quantizer.h"
#include "run/job.h"

#include <memory>
#include <string>
#include <vector>

namespace qb {

struct MixSpec {
    MixTarget target;
    std::vector<GgmlType> types = defaultMixTypes();
    std::string calibrationText; // path (required)
    int ctx = 512, chunks = 0;   // calibration chunks (0 = the whole text)
    // Measured before on this model, text, ctx and types (several mixes of one
    // model share one measurement); null: measure.
    std::shared_ptr<const SensitivityTable> measured;
};

// "Q4_0,q8_0,Q4_K" -> types; throws naming --types and the entry that is not a type a mix can use.
std::vector<GgmlType> parseMixTypes(const std::string& list);

// Measures and chooses; fills options.target / pure / typeOverrides / recipeLabel
// and returns what the report will carry (measuredKld still < 0). Throws
// naming the option and the bound when the budget cannot be met.
MixReport planMix(const Model& model, const MixSpec& spec, QuantizeOptions& options, Job& job = noJob());

// KL-divergence of the written file from the source on the calibration chunks
// the prediction was made on (the same positions, the same averaging).
double measureMixDivergence(const Model& source, const std::string& quantizedPath, const MixSpec& spec, int threads, Job& job = noJob());

} // namespace qb
