#pragma once
// ggml's integer dot products for the K-quants (vec_dot_q{2,3,4,5,6}_K_q8_K):
// the activation row is quantized to Q8_K blocks of 256 (int8 values, an F32
// scale d = 1 / iscale, and the sum of each 16 values), each super-block's
// products meet the weight's sub-block scales (and its mins, against the
// activation sums) exactly in integers, and only two integers per super-block
// meet floats, super-block after super-block:
//   y += float(isum) * (d_w * d_x);   y -= float(msum) * (dmin_w * d_x)   (types with mins)
// shaders/matmul_k.comp computes the same integers and the same float
// sequence, so the CPU reference and the Vulkan kernels agree bit for bit.
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb {

struct Q8KBlocks {
    std::vector<int8_t> q;      // n values
    std::vector<float> d;       // n / 256 scales
    std::vector<int16_t> bsums; // n / 16 sums of 16 consecutive quants
};

// ggml's quantize_row_q8_K: scale from the signed value of largest magnitude
// (iscale = -127 / it), q = min(127, round(iscale * x)), d = 1 / iscale.
void quantizeQ8KBlocks(const float* x, int64_t n, Q8KBlocks& out);

bool hasKQuantDot(GgmlType t); // Q2_K .. Q6_K

// One K-quant super-block as small integers: the weight of element e is
//   d * scale[g] * (u[e] - offset) - dmin * min[g]   (g = e / groupSize)
struct KBlockInts {
    uint8_t u[256];   // unsigned quants, 0 .. 2^bits - 1
    int8_t scale[16]; // per group (Q3_K, Q6_K signed)
    uint8_t min[16];  // per group (Q2_K, Q4_K, Q5_K; zero for the others)
    int groupSize;    // 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K)
    int offset;       // Q3_K 4, Q6_K 32, others 0
    bool hasMins;
    float d, dmin;
};
void unpackKBlock(GgmlType t, const uint8_t* block, KBlockInts& out);

// Dot of one stored weight row of type t (cols values, a multiple of 256)
// with x's super-blocks from index `firstBlock` (the token's row).
float kQuantDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8KBlocks& x, int64_t firstBlock);
// The same row against `tokens` consecutive token rows of x from super-block
// `firstBlock`, each super-block unpacked once: y[tk * yStride] for token tk.
void kQuantDotTokens(GgmlType t, const uint8_t* row, int64_t cols, const Q8KBlocks& x, int64_t firstBlock, int tokens, float* y, int64_t yStride);

} // namespace qb
