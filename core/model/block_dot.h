#pragma once
// ggml's integer dot product for the 32-value block types (vec_dot_q4_0_q8_0,
// q4_1_q8_1, q5_0_q8_0, q5_1_q8_1, q8_0_q8_0): the activation row is quantized
// to Q8_0 blocks (int8 values and an F16 scale per 32, exactly as activation
// rounding does; Q8_1 is the same blocks plus s = F16(d * sum of the quants)),
// each block's products are summed exactly in integers, and only that sum
// meets floats, block after block, in ggml's order for the type:
//   Q4_0:       y += (sumi * d_w) * d_x
//   Q8_0:       y += sumi * (d_w * d_x)
//   Q5_0:       y += (d_w * d_x) * sumi
//   Q4_1, Q5_1: y += (d_w * d_x) * sumi + m_w * s_x   (unsigned quants, min m)
// The Vulkan kernels for these types compute the same integers and the same
// float sequence, so both devices agree bit for bit.
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb {

struct Q8Blocks {
    std::vector<int8_t> q; // n values
    std::vector<float> d;  // n / 32 scales (F16 values held as F32)
    std::vector<float> s;  // n / 32 Q8_1 sums: F16(sum of the block's quants * amax / 127)
};

// Quantizes n values (a multiple of 32) the way roundActivationsFor rounds them for Q8_0.
void quantizeQ8Blocks(const float* x, int64_t n, Q8Blocks& out);

// Whether `t` has an integer dot path (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0).
bool hasIntegerDot(GgmlType t);

// Dot of one stored weight row of type t (cols values) with x's blocks from
// block index `firstBlock` (the token's row in a multi-token Q8Blocks).
float integerDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8Blocks& x, int64_t firstBlock);

} // namespace qb
