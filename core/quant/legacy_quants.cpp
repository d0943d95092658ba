// 32-element block types: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (ggml's "legacy" quants).
// Round-to-nearest as quantize_row_*_ref; importance-weighted as quantize_row_*_impl.
#include "quant/quant_blocks.h"
#include "quant/quant_search.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace qb::quant {

namespace {

float rowSigma2(const float* x, int64_t n) {
    float sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += x[j] * x[j];
    return sum / n;
}

void packNibbles(const uint8_t* L, uint8_t* qs) {
    for (int j = 0; j < 16; ++j) qs[j] = uint8_t(L[j] | (L[j + 16] << 4));
}

void packFiveBits(const uint8_t* L, uint8_t* qh4, uint8_t* qs) {
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = uint8_t((L[j] & 0x0F) | ((L[j + 16] & 0x0F) << 4));
        qh |= uint32_t((L[j] & 0x10u) >> 4) << j;
        qh |= uint32_t((L[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(qh4, &qh, 4);
}

} // namespace

void quantizeQ8_0(const float* x, uint8_t* y, int64_t n) {
    for (int64_t b = 0; b < n / 32; ++b, x += 32, y += 34) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        putHalf(y, d);
        for (int j = 0; j < 32; ++j) y[2 + j] = uint8_t(int8_t(std::roundf(x[j] * id)));
    }
}

// Symmetric 4/5-bit: the scale maps the value of largest magnitude to -8 / -16.
static void quantizeSymmetric(const float* x, uint8_t* y, int64_t n, int bits) {
    const int bytes = bits == 4 ? 18 : 22;
    const float offset = bits == 4 ? 8.5f : 16.5f;
    const int maxLevel = bits == 4 ? 15 : 31;
    for (int64_t b = 0; b < n / 32; ++b, x += 32, y += bytes) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; ++j)
            if (amax < std::fabs(x[j])) { amax = std::fabs(x[j]); max = x[j]; }
        const float d = max / -float(1 << (bits - 1));
        const float id = d ? 1.0f / d : 0.0f;
        putHalf(y, d);
        uint8_t L[32];
        for (int j = 0; j < 32; ++j) L[j] = uint8_t(std::min(maxLevel, int(int8_t(x[j] * id + offset))));
        if (bits == 4) packNibbles(L, y + 2);
        else packFiveBits(L, y + 2, y + 6);
    }
}

// Asymmetric 4/5-bit with a minimum: levels 0..2^bits-1 between min and max.
static void quantizeWithMin(const float* x, uint8_t* y, int64_t n, int bits) {
    const int bytes = bits == 4 ? 20 : 24;
    for (int64_t b = 0; b < n / 32; ++b, x += 32, y += bytes) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < 32; ++j) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / float((1 << bits) - 1);
        const float id = d ? 1.0f / d : 0.0f;
        putHalf(y, d);
        putHalf(y + 2, min);
        uint8_t L[32];
        for (int j = 0; j < 32; ++j) {
            const float v = (x[j] - min) * id;
            L[j] = bits == 4 ? uint8_t(std::min(15, int(int8_t(v + 0.5f)))) : uint8_t(v + 0.5f);
        }
        if (bits == 4) packNibbles(L, y + 4);
        else packFiveBits(L, y + 4, y + 8);
    }
}

// Importance-weighted symmetric 4/5-bit (quantize_row_q4_0_impl / q5_0_impl).
static void quantizeSymmetricWeighted(const float* x, uint8_t* y, int64_t n, const float* qw, int bits) {
    const int bytes = bits == 4 ? 18 : 22;
    const float sigma2 = rowSigma2(x, n);
    for (int64_t b = 0; b < n / 32; ++b, x += 32, qw += 32, y += bytes) {
        float weight[32];
        int8_t L[32];
        for (int j = 0; j < 32; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + x[j] * x[j]);
        putHalf(y, makeQxQuants(32, 1 << (bits - 1), x, L, 1, weight));
        if (bits == 4) packNibbles(reinterpret_cast<uint8_t*>(L), y + 2);
        else packFiveBits(reinterpret_cast<uint8_t*>(L), y + 2, y + 6);
    }
}

void quantizeQ4_0(const float* x, uint8_t* y, int64_t n, const float* qw) {
    if (!qw) return quantizeSymmetric(x, y, n, 4);
    quantizeSymmetricWeighted(x, y, n, qw, 4);
}

void quantizeQ5_0(const float* x, uint8_t* y, int64_t n, const float* qw) {
    if (!qw) return quantizeSymmetric(x, y, n, 5);
    quantizeSymmetricWeighted(x, y, n, qw, 5);
}

static void quantizeWithMinWeighted(const float* x, uint8_t* y, int64_t n, const float* qw, int bits) {
    const int bytes = bits == 4 ? 20 : 24;
    const float sigma2 = rowSigma2(x, n);
    for (int64_t b = 0; b < n / 32; ++b, x += 32, qw += 32, y += bytes) {
        float weight[32];
        uint8_t L[32], Laux[32];
        for (int j = 0; j < 32; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + x[j] * x[j]);
        float min;
        const float d = makeQkx3Quants(32, (1 << bits) - 1, x, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
        putHalf(y, d);
        putHalf(y + 2, -min);
        if (bits == 4) packNibbles(L, y + 4);
        else packFiveBits(L, y + 4, y + 8);
    }
}

void quantizeQ4_1(const float* x, uint8_t* y, int64_t n, const float* qw) {
    if (!qw) return quantizeWithMin(x, y, n, 4);
    quantizeWithMinWeighted(x, y, n, qw, 4);
}

void quantizeQ5_1(const float* x, uint8_t* y, int64_t n, const float* qw) {
    if (!qw) return quantizeWithMin(x, y, n, 5);
    quantizeWithMinWeighted(x, y, n, qw, 5);
}

} // namespace qb::quant
