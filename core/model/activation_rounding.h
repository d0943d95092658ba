#pragma once
// ggml's CPU backend does not multiply a quantized weight by F32 activations:
// it first converts the activation row to the weight's "vec_dot_type"
// (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for K-quants, F16 for
// F16, BF16 for BF16). To reproduce llama.cpp's perplexities to the 4th
// digit, the reference forward pass rounds activations the same way before
// its plain F32 dot products. Values stay floats; only their precision drops.
#include "model/weights.h"
#include "quant/ggml_type.h"

#include <cstdint>

namespace qb {

// The rounding a weight type's dot product applies to its input row: one
// mapping for the CPU reference, the Vulkan engine (round_act_<name> shader
// variants) and the tests.
enum class ActivationRounding { None, Q8_0, Q8_K, F16, BF16, I8Dynamic, I8Static };
ActivationRounding activationRounding(GgmlType weightType, bool staticInputScale = false);
const char* activationRoundingName(ActivationRounding r); // "q8_0", ..., "i8_dyn", "i8_static"; "" for None
// Values one rounding unit covers: a block (32 or 256), a whole row (int8), or one value.
int64_t activationRoundingSpan(ActivationRounding r, int64_t cols);

// Writes `x` rounded as ggml would quantize it for a dot with `weightType`
// into `out` (n values, a multiple of the weight's block size). F32 weights
// copy `x` unchanged.
void roundActivationsFor(GgmlType weightType, const float* x, float* out, int64_t n);
// The same for one input row of `w`, which also covers QuantBench's W8A8
// (QB_I8_CH weights): activations become int8 per token (dynamic: scale =
// max|x| / 127 of the row) or with the file's static input scale.
void roundActivationsFor(const Tensor& w, const float* x, float* out);

} // namespace qb
