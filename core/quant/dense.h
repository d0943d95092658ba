#pragma once
// Dense linear algebra GPTQ needs at real sizes (n = 2048 … 11008): a blocked
// Cholesky factorisation, the inverse of a lower-triangular matrix, and the
// rank-k update both are built on, vectorised and spread over a thread pool.
// Row-major n x n matrices throughout.
#include "common/thread_pool.h"

#include <cstdint>
#include <vector>

namespace qb {

// C[i][j] -= sum_p A[i][p] · B[p][j] for i < m, j < n, p < k (one thread).
void subtractProduct(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k);
void subtractProduct(double* c, int64_t ldc, const double* a, int64_t lda, const double* b, int64_t ldb, int64_t m, int64_t n, int64_t k);

// h (cols x cols) += xᵀx over n rows of x (cols wide): the lower triangle
// only; mirrorLower copies it to the upper one when the sums are done.
void accumulateGram(std::vector<double>& h, const float* x, int64_t n, int64_t cols, ThreadPool& pool);
void mirrorLower(std::vector<double>& a, int64_t n);

// In place: the lower triangle of `a` (n x n, symmetric positive definite;
// only the lower triangle is read) becomes L with a = L Lᵀ, the upper
// triangle zeros. False when `a` is not positive definite.
bool choleskyLower(std::vector<double>& a, int64_t n, ThreadPool& pool);

// L⁻¹ of a lower-triangular L with a positive diagonal (n x n, lower).
std::vector<double> invertLower(const std::vector<double>& l, int64_t n, ThreadPool& pool);

} // namespace qb
