#include "quant/precision_guide.h"

namespace qb {

const std::vector<PrecisionInfo>& precisionGuide() {
    // typical losses: llama-quantize's own table (tools/quantize, llama.cpp c392e50)
    static const std::vector<PrecisionInfo> guide = {
        {"F16", "16", "+0.0020 ppl @ Mistral-7B (llama-quantize)", "reference quality at half the F32 size; the baseline to compare against", true, false},
        {"BF16", "16", "-0.0050 ppl @ Mistral-7B (llama-quantize)", "as F16, with F32's range: models trained in bfloat16", true, false},
        {"FP8", "8 + a scale per row", "near-lossless (per-channel E4M3)", "8-bit floating point for GPUs with FP8; QuantBench's own type", false, false},
        {"INT8", "8 + a scale per row", "near-lossless (per-channel, W8A8)", "integer 8-bit weights and activations; QuantBench's own type", false, false},
        {"Q8_0", "8.5", "+0.0026 ppl @ Llama-3-8B (llama-quantize)", "no visible loss; when memory allows", true, true},
        {"Q6_K", "6.56", "+0.0217 ppl @ Llama-3-8B (llama-quantize)", "close to Q8_0 quality, a quarter smaller", true, true},
        {"Q5_K_M", "5.5-5.7 (mix)", "+0.0569 ppl @ Llama-3-8B (llama-quantize)", "code and reasoning on a budget", true, true},
        {"Q4_K_M", "4.8-4.9 (mix)", "+0.1754 ppl @ Llama-3-8B (llama-quantize)", "the usual default for chat", true, true},
        {"Q4_0", "4.5", "+0.4685 ppl @ Llama-3-8B (llama-quantize)", "fastest 4-bit on simple kernels; legacy", true, true},
        {"Q3_K_M", "3.9-4.0 (mix)", "+0.6569 ppl @ Llama-3-8B (llama-quantize)", "when 4 bits will not fit; noticeably worse", true, true},
        {"AUTO@4.5", "at most 4.5 (measured mix)", "lower KLD than a uniform type of the same size (measured per model)",
         "every tensor's type chosen from its measured KL-divergence on the calibration text", true, false},
        {"Q2_K", "3.0-3.4 (mix)", "+3.5199 ppl @ Llama-3-8B (llama-quantize)", "the smallest; large loss, for very large models only", true, true},
    };
    return guide;
}

const PrecisionInfo* findPrecision(const std::string& name) {
    for (const auto& p : precisionGuide())
        if (p.name == name) return &p;
    return nullptr;
}

} // namespace qb
