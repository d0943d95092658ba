#include "quant/gptq.h"

#include "common/error.h"
#include "common/half.h"
#include "quant/dense.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace qb {

namespace {

float roundHalf(float v) { return halfToFloat(floatToHalf(v)); }

// One group's quantization grid: value = (q - zero) * d, q in [qmin, qmax].
struct Grid {
    float d = 0, m = 0; // m: minimum (Q4_1), else 0
    int qmin = 0, qmax = 0;
    bool asym = false;
    float quantize(float w, int& q) const {
        if (d == 0) { q = 0; return asym ? m : 0.0f; }
        q = int(std::lround(asym ? (w - m) / d : w / d));
        q = std::max(qmin, std::min(qmax, q));
        return asym ? q * d + m : q * d;
    }
};

Grid gridFor(GgmlType type, const float* w, int n) {
    Grid g;
    if (type == GgmlType::Q4_1) {
        float mn = w[0], mx = w[0];
        for (int i = 1; i < n; ++i) { mn = std::min(mn, w[i]); mx = std::max(mx, w[i]); }
        g.asym = true;
        g.d = roundHalf((mx - mn) / 15.0f);
        g.m = roundHalf(mn);
        g.qmin = 0;
        g.qmax = 15;
        return g;
    }
    float amax = 0, maxv = 0;
    for (int i = 0; i < n; ++i)
        if (std::fabs(w[i]) > amax) { amax = std::fabs(w[i]); maxv = w[i]; }
    if (type == GgmlType::Q8_0) {
        g.d = roundHalf(amax / 127.0f);
        g.qmin = -127;
        g.qmax = 127;
    } else { // Q4_0: the largest-magnitude value maps to level -8 (d may be negative), as llama.cpp's RTN
        g.d = roundHalf(maxv / -8.0f);
        g.qmin = -8;
        g.qmax = 7;
    }
    return g;
}

void putHalfAt(uint8_t* p, float v) {
    const uint16_t h = floatToHalf(v);
    std::memcpy(p, &h, 2);
}

} // namespace

bool gptqSupports(GgmlType t) { return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q8_0; }

std::vector<uint8_t> gptqQuantize(const std::vector<float>& wIn, int64_t rows, int64_t cols, const std::vector<double>& h,
                                  GgmlType type, const GptqOptions& o, ThreadPool& pool) {
    if (!gptqSupports(type)) throw Error("gptq: type " + typeName(type) + " is not supported, expected Q4_0, Q4_1 or Q8_0");
    if (o.group % 32 != 0 || o.group <= 0) throw Error("gptq: --group " + std::to_string(o.group) + ", expected 32, 64 or 128");
    if (cols % o.group != 0)
        throw Error("gptq: " + std::to_string(cols) + " columns are not a multiple of the group size " + std::to_string(o.group));
    const int64_t n = cols;
    auto H = [&](int64_t i, int64_t j) { return h[size_t(i * n + j)]; };
    // dead inputs (never active): any value works; they are zeroed and their diagonal set to 1
    std::vector<char> dead(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) dead[size_t(c)] = H(c, c) == 0;
    auto diag = [&](int64_t c) { return dead[size_t(c)] ? 1.0 : H(c, c); };
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    if (o.actOrder) std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return diag(a) > diag(b); });

    // U, the upper Cholesky factor of H⁻¹ (H⁻¹ = UᵀU) in processing order, from
    // one factorisation: with R the reversal, R·H·R = L·Lᵀ gives U = R·L⁻¹·R.
    double meanDiag = 0;
    for (int64_t c = 0; c < n; ++c) meanDiag += diag(c);
    meanDiag /= double(n);
    std::vector<double> reversed(static_cast<size_t>(n * n));
    pool.parallelFor(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const int64_t ci = order[size_t(n - 1 - i)];
            for (int64_t j = 0; j <= i; ++j) {
                const int64_t cj = order[size_t(n - 1 - j)];
                reversed[size_t(i * n + j)] = ci == cj ? diag(ci) + o.damp * meanDiag : dead[size_t(ci)] || dead[size_t(cj)] ? 0.0 : H(ci, cj);
            }
        }
    });
    if (!choleskyLower(reversed, n, pool)) throw Error("gptq: the damped Hessian is not positive definite", ErrorKind::Internal);
    const std::vector<double> inverse = invertLower(reversed, n, pool);
    std::vector<double>().swap(reversed);
    std::vector<float> u(static_cast<size_t>(n * n), 0.0f);
    pool.parallelFor(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            for (int64_t j = i; j < n; ++j) u[size_t(i * n + j)] = float(inverse[size_t((n - 1 - i) * n + (n - 1 - j))]);
    });

    // the weights with their columns in processing order
    std::vector<float> w(static_cast<size_t>(rows * n));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < n; ++i) {
            const int64_t c = order[size_t(i)];
            w[size_t(r * n + i)] = dead[size_t(c)] ? 0.0f : wIn[size_t(r * n + c)];
        }
    const int64_t groups = cols / o.group;
    std::vector<Grid> grids(size_t(rows * groups));
    if (o.actOrder) { // static groups: scales from the original weights (dead columns zeroed)
        std::vector<float> original(static_cast<size_t>(o.group));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t g = 0; g < groups; ++g) {
                for (int64_t k = 0; k < o.group; ++k) {
                    const int64_t c = g * o.group + k;
                    original[size_t(k)] = dead[size_t(c)] ? 0.0f : wIn[size_t(r * n + c)];
                }
                grids[size_t(r * groups + g)] = gridFor(type, original.data(), o.group);
            }
    }

    // Column by column, each row's rounding error spread over its later columns
    // through U; lazily: inside a block of kLazy columns at once, the rest of
    // the row by one rank-kLazy update per block. Rows are independent.
    constexpr int64_t kLazy = 128, kRowBatch = 32;
    std::vector<int> levels(static_cast<size_t>(rows * cols));
    pool.parallelFor((rows + kRowBatch - 1) / kRowBatch, [&](int64_t b0, int64_t b1) {
        std::vector<float> err(static_cast<size_t>(kRowBatch * kLazy));
        for (int64_t b = b0; b < b1; ++b) {
            const int64_t r0 = b * kRowBatch, r1 = std::min(rows, r0 + kRowBatch);
            for (int64_t i1 = 0; i1 < n; i1 += kLazy) {
                const int64_t i2 = std::min(n, i1 + kLazy);
                for (int64_t i = i1; i < i2; ++i) {
                    const int64_t c = order[size_t(i)], g = c / o.group;
                    const float* ui = &u[size_t(i * n)];
                    for (int64_t r = r0; r < r1; ++r) {
                        float* wr = &w[size_t(r * n)];
                        Grid& grid = grids[size_t(r * groups + g)];
                        if (!o.actOrder && c == g * o.group) grid = gridFor(type, wr + c, o.group); // scale from the updated weights
                        int q;
                        const float wq = grid.quantize(wr[i], q);
                        levels[size_t(r * cols + c)] = q;
                        const float e = (wr[i] - wq) / ui[i];
                        wr[i] = wq;
                        err[size_t((r - r0) * kLazy + (i - i1))] = e;
                        for (int64_t j = i + 1; j < i2; ++j) wr[j] -= e * ui[j];
                    }
                }
                if (i2 < n) subtractProduct(&w[size_t(r0 * n + i2)], n, err.data(), kLazy, &u[size_t(i1 * n + i2)], n, r1 - r0, n - i2, i2 - i1);
            }
        }
    });

    // pack in the original column order, one 32-block at a time
    const TypeTraits& t = traits(type);
    std::vector<uint8_t> out(size_t(rows) * rowBytes(type, cols));
    uint8_t* p = out.data();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < cols / 32; ++b, p += t.blockBytes) {
            const Grid& grid = grids[size_t(r * groups + b * 32 / o.group)];
            const int* L = &levels[size_t(r * cols + b * 32)];
            putHalfAt(p, grid.d);
            if (type == GgmlType::Q8_0) {
                for (int j = 0; j < 32; ++j) p[2 + j] = uint8_t(int8_t(L[j]));
            } else if (type == GgmlType::Q4_0) {
                for (int j = 0; j < 16; ++j) p[2 + j] = uint8_t((L[j] + 8) | ((L[j + 16] + 8) << 4));
            } else {
                putHalfAt(p + 2, grid.m);
                for (int j = 0; j < 16; ++j) p[4 + j] = uint8_t(L[j] | (L[j + 16] << 4));
            }
        }
    return out;
}

} // namespace qb
