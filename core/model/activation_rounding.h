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

// Writes `x` rounded as ggml would quantize it for a dot with `weightType`
// into `out` (n values, a multiple of the weight's block size). F32 weights
// copy `x` unchanged.
void roundActivationsFor(GgmlType weightType, const float* x, float* out, int64_t n);
// The same for one input row of `w`, which also covers QuantBench's W8A8
// (QB_I8_CH weights): activations become int8 per token (dynamic: scale =
// max|x| / 127 of the row) or with the file's static input scale.
void roundActivationsFor(const Tensor& w, const float* x, float* out);

} // namespace qb
