#include "quant/dense.h"

#include "common/kernel_clones.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb {

namespace {

constexpr int64_t kBlock = 96;   // Cholesky / inverse block
constexpr int64_t kDepth = 256;  // rank-k update: depth of one pass

// R rows of C, two vectors wide, minus those rows of A times a contiguous
// strip of B (depth x two vectors).
template <int R, class T>
inline QB_ALWAYS_INLINE void rowsMinusStrip(T* c, int64_t ldc, const T* a, int64_t lda, const T* strip, int64_t depth) {
    typedef T Vec __attribute__((vector_size(32)));
    constexpr int64_t L = 32 / sizeof(T);
    Vec acc[R][2] = {};
    for (int64_t p = 0; p < depth; ++p) {
        Vec b0, b1;
        std::memcpy(&b0, strip + p * 2 * L, sizeof b0);
        std::memcpy(&b1, strip + p * 2 * L + L, sizeof b1);
        for (int r = 0; r < R; ++r) {
            const T s = a[r * lda + p];
            acc[r][0] += b0 * s;
            acc[r][1] += b1 * s;
        }
    }
    for (int r = 0; r < R; ++r) {
        T* cr = c + r * ldc;
        Vec c0, c1;
        std::memcpy(&c0, cr, sizeof c0);
        std::memcpy(&c1, cr + L, sizeof c1);
        c0 -= acc[r][0];
        c1 -= acc[r][1];
        std::memcpy(cr, &c0, sizeof c0);
        std::memcpy(cr + L, &c1, sizeof c1);
    }
}

// 4 rows x 2 vectors of C at a time, the depth in passes of kDepth. B is
// copied first, kPanelTiles tiles of its rows at a time, so that each tile's
// strip is contiguous: B's rows are often a multiple of 4 KiB apart, which
// would put a strip's lines all in one cache set.
template <class T>
inline QB_ALWAYS_INLINE void subtractProductImpl(T* c, int64_t ldc, const T* a, int64_t lda, const T* b, int64_t ldb, int64_t m, int64_t n,
                                                 int64_t k) {
    constexpr int64_t W = 2 * 32 / sizeof(T); // values in two vectors
    const int64_t nv = n / W * W;
    constexpr int64_t kPanelTiles = 8;
    std::vector<T> panel(size_t(kDepth * W * kPanelTiles));
    for (int64_t p0 = 0; p0 < k; p0 += kDepth) {
        const int64_t p1 = std::min(k, p0 + kDepth), depth = p1 - p0;
        for (int64_t j = 0; j < nv; j += W) {
            const int64_t tile = (j / W) % kPanelTiles;
            if (tile == 0) { // B's rows read whole (kPanelTiles tiles wide), each tile's strip then contiguous
                const int64_t tiles = std::min(kPanelTiles, (nv - j) / W);
                for (int64_t p = 0; p < depth; ++p)
                    for (int64_t t = 0; t < tiles; ++t) std::memcpy(&panel[size_t((t * kDepth + p) * W)], b + (p0 + p) * ldb + j + t * W, sizeof(T) * W);
            }
            const T* strip = &panel[size_t(tile * kDepth * W)];
            int64_t i = 0;
            for (; i + 4 <= m; i += 4) rowsMinusStrip<4>(c + i * ldc + j, ldc, a + i * lda + p0, lda, strip, depth);
            for (; i < m; ++i) rowsMinusStrip<1>(c + i * ldc + j, ldc, a + i * lda + p0, lda, strip, depth);
        }
        for (int64_t i = 0; i < m; ++i) // columns past the last full pair of vectors
            for (int64_t j = nv; j < n; ++j) {
                T s = 0;
                for (int64_t p = p0; p < p1; ++p) s += a[i * lda + p] * b[p * ldb + j];
                c[i * ldc + j] -= s;
            }
    }
}

// Rows [begin, end) in groups of kRowGroup handed out round-robin over the
// pool's threads: the triangular updates' rows differ in length, so contiguous
// ranges would leave one thread with most of the work. A group is tall enough
// that the strip of B one pass reads is reused from cache by all its rows.
constexpr int64_t kRowGroup = 64;
template <class Fn>
void forRowGroups(ThreadPool& pool, int64_t begin, int64_t end, Fn&& fn) {
    const int64_t groups = (end - begin + kRowGroup - 1) / kRowGroup;
    const int parts = pool.size();
    pool.parallelFor(parts, [&](int64_t p0, int64_t p1) {
        for (int64_t part = p0; part < p1; ++part)
            for (int64_t g = part; g < groups; g += parts) fn(begin + kRowGroup * g, std::min(end, begin + kRowGroup * g + kRowGroup));
    });
}

} // namespace

QB_KERNEL_CLONES
void subtractProduct(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k) {
    subtractProductImpl(c, ldc, a, lda, b, ldb, m, n, k);
}

QB_KERNEL_CLONES
void subtractProduct(double* c, int64_t ldc, const double* a, int64_t lda, const double* b, int64_t ldb, int64_t m, int64_t n, int64_t k) {
    subtractProductImpl(c, ldc, a, lda, b, ldb, m, n, k);
}

void accumulateGram(std::vector<double>& h, const float* x, int64_t n, int64_t cols, ThreadPool& pool) {
    // kDepth rows at a time: the copies stay small enough for the allocator to reuse
    std::vector<double> negT, rowsD;
    for (int64_t t0 = 0; t0 < n; t0 += kDepth) {
        const int64_t tn = std::min(kDepth, n - t0);
        negT.resize(size_t(cols * tn));
        rowsD.resize(size_t(tn * cols));
        for (int64_t t = 0; t < tn; ++t)
            for (int64_t c = 0; c < cols; ++c) {
                const double v = x[(t0 + t) * cols + c];
                negT[size_t(c * tn + t)] = -v;
                rowsD[size_t(t * cols + c)] = v;
            }
        forRowGroups(pool, 0, cols, [&](int64_t i0, int64_t i1) {
            subtractProduct(&h[size_t(i0 * cols)], cols, &negT[size_t(i0 * tn)], tn, rowsD.data(), cols, i1 - i0, i1, tn);
        });
    }
}

void mirrorLower(std::vector<double>& a, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < i; ++j) a[size_t(j * n + i)] = a[size_t(i * n + j)];
}

bool choleskyLower(std::vector<double>& a, int64_t n, ThreadPool& pool) {
    auto at = [&](int64_t i, int64_t j) -> double& { return a[size_t(i * n + j)]; };
    std::vector<double> panelT;
    for (int64_t k0 = 0; k0 < n; k0 += kBlock) {
        const int64_t k1 = std::min(n, k0 + kBlock), nb = k1 - k0;
        // the diagonal block, one column at a time
        for (int64_t j = k0; j < k1; ++j) {
            double s = at(j, j);
            for (int64_t p = k0; p < j; ++p) s -= at(j, p) * at(j, p);
            if (!(s > 0)) return false;
            const double d = std::sqrt(s);
            at(j, j) = d;
            for (int64_t i = j + 1; i < k1; ++i) {
                double t = at(i, j);
                for (int64_t p = k0; p < j; ++p) t -= at(i, p) * at(j, p);
                at(i, j) = t / d;
            }
        }
        if (k1 == n) break;
        // the panel below it: rows times the diagonal block's inverse transpose
        std::vector<double> invT(size_t(nb * nb), 0.0); // (L_kk⁻¹)ᵀ: row c is column c of L_kk⁻¹, by forward substitution
        for (int64_t c = 0; c < nb; ++c)
            for (int64_t r = c; r < nb; ++r) {
                double t = r == c ? 1.0 : 0.0;
                for (int64_t p = c; p < r; ++p) t -= at(k0 + r, k0 + p) * invT[size_t(c * nb + p)];
                invT[size_t(c * nb + r)] = t / at(k0 + r, k0 + r);
            }
        std::vector<double> negInvT(invT.size()); // subtractProduct subtracts: 0 - panel · (-invT)
        std::transform(invT.begin(), invT.end(), negInvT.begin(), [](double v) { return -v; });
        forRowGroups(pool, k1, n, [&](int64_t i0, int64_t i1) {
            std::vector<double> product(size_t((i1 - i0) * nb), 0.0);
            subtractProduct(product.data(), nb, &at(i0, k0), n, negInvT.data(), nb, i1 - i0, nb, nb);
            for (int64_t i = i0; i < i1; ++i) std::copy_n(&product[size_t((i - i0) * nb)], nb, &at(i, k0));
        });
        // the trailing lower triangle minus panel · panelᵀ
        const int64_t rest = n - k1;
        panelT.assign(size_t(nb * rest), 0.0);
        for (int64_t i = k1; i < n; ++i)
            for (int64_t p = 0; p < nb; ++p) panelT[size_t(p * rest + (i - k1))] = at(i, k0 + p);
        forRowGroups(pool, k1, n, [&](int64_t i0, int64_t i1) {
            subtractProduct(&at(i0, k1), n, &at(i0, k0), n, panelT.data(), rest, i1 - i0, i1 - k1, nb);
        });
    }
    for (int64_t i = 0; i < n; ++i) std::fill(a.begin() + i * n + i + 1, a.begin() + (i + 1) * n, 0.0);
    return true;
}

std::vector<double> invertLower(const std::vector<double>& l, int64_t n, ThreadPool& pool) {
    std::vector<double> x(size_t(n * n), 0.0);
    auto L = [&](int64_t i, int64_t j) { return l[size_t(i * n + j)]; };
    auto X = [&](int64_t i, int64_t j) -> double& { return x[size_t(i * n + j)]; };
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
        const int64_t i1 = std::min(n, i0 + kBlock), nb = i1 - i0;
        // rows i0..i1 left of the block: -L[I, :i0] · X[:i0, :i0] (X is lower: row p starts at column 0, ends at p)
        if (i0 > 0) {
            const int64_t tiles = (i0 + 63) / 64;
            pool.parallelFor(tiles, [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                    const int64_t j0 = t * 64, j1 = std::min(i0, j0 + 64);
                    // X[p][j] = 0 for p < j: the depth starts at j0
                    subtractProduct(&X(i0, j0), n, &l[size_t(i0 * n + j0)], n, &X(j0, j0), n, nb, j1 - j0, i0 - j0);
                }
            });
        }
        // then through the diagonal block: forward substitution, whole rows at a time
        for (int64_t i = i0; i < i1; ++i) {
            double* xi = &X(i, 0);
            for (int64_t p = i0; p < i; ++p) {
                const double lip = L(i, p);
                const double* xp = &X(p, 0);
                for (int64_t j = 0; j <= p; ++j) xi[j] -= lip * xp[j];
            }
            xi[i] += 1.0;
            const double d = L(i, i);
            for (int64_t j = 0; j <= i; ++j) xi[j] /= d;
        }
    }
    return x;
}

} // namespace qb
