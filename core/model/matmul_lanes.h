#pragma once
// The CPU reference's float matmul, y[t][r] = sum_c W[r][c] · x[t][c], with
// every sum accumulated in column order exactly as the one-row-at-a-time loop
// `sum += w[c] * x[c]` does, so the results are the same bits; only the
// schedule differs: 16 rows side by side (one vector lane per row, the rows
// dequantized into a transposed tile) and 4 tokens at a time, which keeps the
// adds of independent sums in flight instead of waiting on one.
#include "common/thread_pool.h"
#include "model/weights.h"

namespace qb {

// W: any type dequantizeRow reads (per-channel scale applied); x: n rows of
// w.cols() values, already rounded as the weight type's activations are.
void matmulSideBySide(const Tensor& w, const float* x, int n, float* y, ThreadPool& pool);

} // namespace qb
