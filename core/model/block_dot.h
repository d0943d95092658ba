#pragma once
// ggml's integer dot product for Q4_0 and Q8_0 weights (vec_dot_q4_0_q8_0,
// vec_dot_q8_0_q8_0): the activation row is quantized to Q8_0 blocks (int8
// values and an F16 scale per 32, exactly as activation rounding does), each
// block's products are summed exactly in integers, and only that sum meets
// floats: y += (float(sumi) * d_weight) * d_activation, block after block.
// The Vulkan kernels for these types compute the same integers and the same
// float sequence, so both devices agree bit for bit.
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb {

struct Q8Blocks {
    std::vector<int8_t> q; // n values
    std::vector<float> d;  // n / 32 scales (F16 values held as F32)
};

// Quantizes n values (a multiple of 32) the way roundActivationsFor rounds them for Q8_0.
void quantizeQ8Blocks(const float* x, int64_t n, Q8Blocks& out);

// Whether `t` has an integer dot path (Q4_0, Q8_0).
bool hasIntegerDot(GgmlType t);

// Dot of one stored weight row of type t (cols values) with x's blocks from
// block index `firstBlock` (the token's row in a multi-token Q8Blocks).
float integerDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8Blocks& x, int64_t firstBlock);

} // namespace qb
