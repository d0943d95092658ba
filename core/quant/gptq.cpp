#include "quant/gptq.h"

#include "common/error.h"
#include "common/half.h"

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

// In-place Cholesky (lower) of an n x n SPD matrix; false if not SPD.
bool cholesky(std::vector<double>& a, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
        double s = a[size_t(j * n + j)];
        for (int64_t k = 0; k < j; ++k) s -= a[size_t(j * n + k)] * a[size_t(j * n + k)];
        if (s <= 0) return false;
        const double d = std::sqrt(s);
        a[size_t(j * n + j)] = d;
        for (int64_t i = j + 1; i < n; ++i) {
            double t = a[size_t(i * n + j)];
            for (int64_t k = 0; k < j; ++k) t -= a[size_t(i * n + k)] * a[size_t(j * n + k)];
            a[size_t(i * n + j)] = t / d;
        }
        for (int64_t i = 0; i < j; ++i) a[size_t(i * n + j)] = 0;
    }
    return true;
}

// Upper Cholesky factor U of H^-1 (H^-1 = U^T U), the form GPTQ's update uses.
std::vector<double> inverseHessianFactor(std::vector<double> h, int64_t n) {
    if (!cholesky(h, n)) throw Error("gptq: the damped Hessian is not positive definite", ErrorKind::Internal);
    // Linv = L^-1 (lower triangular)
    std::vector<double> linv(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        linv[size_t(i * n + i)] = 1.0 / h[size_t(i * n + i)];
        for (int64_t j = 0; j < i; ++j) {
            double s = 0;
            for (int64_t k = j; k < i; ++k) s -= h[size_t(i * n + k)] * linv[size_t(k * n + j)];
            linv[size_t(i * n + j)] = s / h[size_t(i * n + i)];
        }
    }
    // H^-1 = Linv^T Linv
    std::vector<double> inv(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            double s = 0;
            for (int64_t k = i; k < n; ++k) s += linv[size_t(k * n + i)] * linv[size_t(k * n + j)];
            inv[size_t(i * n + j)] = inv[size_t(j * n + i)] = s;
        }
    if (!cholesky(inv, n)) throw Error("gptq: the inverse Hessian is not positive definite", ErrorKind::Internal);
    // U = L'^T where inv = L' L'^T
    std::vector<double> u(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i; j < n; ++j) u[size_t(i * n + j)] = inv[size_t(j * n + i)];
    return u;
}

void putHalfAt(uint8_t* p, float v) {
    const uint16_t h = floatToHalf(v);
    std::memcpy(p, &h, 2);
}

} // namespace

bool gptqSupports(GgmlType t) { return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q8_0; }

std::vector<uint8_t> gptqQuantize(const std::vector<float>& wIn, int64_t rows, int64_t cols, const std::vector<double>& hIn,
                                  GgmlType type, const GptqOptions& o) {
    if (!gptqSupports(type)) throw Error("gptq: type " + typeName(type) + " is not supported, expected Q4_0, Q4_1 or Q8_0");
    if (o.group % 32 != 0 || o.group <= 0) throw Error("gptq: --group " + std::to_string(o.group) + ", expected 32, 64 or 128");
    if (cols % o.group != 0)
        throw Error("gptq: " + std::to_string(cols) + " columns are not a multiple of the group size " + std::to_string(o.group));
    std::vector<float> w = wIn;
    std::vector<double> h = hIn;
    // dead inputs: never active, so any value works; zero them
    for (int64_t c = 0; c < cols; ++c)
        if (h[size_t(c * cols + c)] == 0) {
            h[size_t(c * cols + c)] = 1;
            for (int64_t r = 0; r < rows; ++r) w[size_t(r * cols + c)] = 0;
        }
    std::vector<int64_t> order(static_cast<size_t>(cols));
    std::iota(order.begin(), order.end(), 0);
    if (o.actOrder)
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return h[size_t(a * cols + a)] > h[size_t(b * cols + b)]; });
    // permuted, damped Hessian
    std::vector<double> hp(static_cast<size_t>(cols * cols));
    double meanDiag = 0;
    for (int64_t c = 0; c < cols; ++c) meanDiag += h[size_t(c * cols + c)];
    meanDiag /= double(cols);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) hp[size_t(i * cols + j)] = h[size_t(order[size_t(i)] * cols + order[size_t(j)])];
    for (int64_t i = 0; i < cols; ++i) hp[size_t(i * cols + i)] += o.damp * meanDiag;
    const std::vector<double> u = inverseHessianFactor(hp, cols);

    const int64_t groups = cols / o.group;
    std::vector<Grid> grids(size_t(rows * groups));
    std::vector<char> gridReady(size_t(rows * groups), 0);
    if (o.actOrder) // static groups: scales from the original weights
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t g = 0; g < groups; ++g) {
                grids[size_t(r * groups + g)] = gridFor(type, &w[size_t(r * cols + g * o.group)], o.group);
                gridReady[size_t(r * groups + g)] = 1;
            }
    std::vector<int> levels(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < cols; ++i) {
        const int64_t c = order[size_t(i)];
        const int64_t g = c / o.group;
        const double uii = u[size_t(i * cols + i)];
        for (int64_t r = 0; r < rows; ++r) {
            float* wr = &w[size_t(r * cols)];
            Grid& grid = grids[size_t(r * groups + g)];
            if (!gridReady[size_t(r * groups + g)]) { // first column of its group: scale from the updated weights
                grid = gridFor(type, wr + g * o.group, o.group);
                gridReady[size_t(r * groups + g)] = 1;
            }
            int q;
            const float wq = grid.quantize(wr[c], q);
            levels[size_t(r * cols + c)] = q;
            const double err = (double(wr[c]) - wq) / uii;
            wr[c] = wq;
            for (int64_t j = i + 1; j < cols; ++j) wr[order[size_t(j)]] -= float(err * u[size_t(i * cols + j)]);
        }
    }

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
