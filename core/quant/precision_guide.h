#pragma once
// The precisions the workbench offers, with the help a person needs to pick:
// nominal bits per weight, the typical quality loss llama-quantize lists for
// a 7-8B model, what each is for, and whether llama.cpp can load the file.
// Predicted sizes for a given model come from planVariant, not from here.
#include <string>
#include <vector>

namespace qb {

struct PrecisionInfo {
    std::string name;         // as the sweep's --types takes it: "Q4_K_M", "FP8"
    std::string bits;         // nominal, e.g. "4.5-4.9 (mix)"
    std::string typicalLoss;  // e.g. "+0.1754 ppl @ Llama-3-8B (llama-quantize)"
    std::string useCase;
    bool llamaCppLoads = true;
    bool calibratable = false; // offers GPTQ / AWQ / imatrix variants
};

const std::vector<PrecisionInfo>& precisionGuide();
const PrecisionInfo* findPrecision(const std::string& name);

} // namespace qb
