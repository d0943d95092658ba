#pragma once
// GPTQ (Frantar et al., 2022): quantize a weight matrix column by column,
// feeding each column's rounding error back into the not-yet-quantized
// columns through the inverse Hessian of the layer's inputs (H = X^T X).
// Output is stored as llama.cpp blocks: Q4_0 / Q4_1 / Q8_0. A group of 64 or
// 128 columns is stored as 2 or 4 consecutive 32-blocks sharing one scale, so
// llama.cpp runs every group size unchanged.
#include "common/thread_pool.h"
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb {

struct GptqOptions {
    int group = 32;        // 32, 64 or 128 columns per scale
    bool actOrder = false; // process columns by decreasing H diagonal (desc_act); scales stay per original group
    float damp = 0.01f;    // fraction of mean(diag H) added to the diagonal
};

// w: rows x cols F32 (row-major, ggml layout: row = output channel).
// hessian: cols x cols, sum of x x^T over calibration tokens.
// Returns the tensor bytes in `type` (Q4_0, Q4_1 or Q8_0). Rows, the
// factorisation and the error updates are spread over `pool`.
std::vector<uint8_t> gptqQuantize(const std::vector<float>& w, int64_t rows, int64_t cols, const std::vector<double>& hessian,
                                  GgmlType type, const GptqOptions& options, ThreadPool& pool);

bool gptqSupports(GgmlType type);

} // namespace qb
