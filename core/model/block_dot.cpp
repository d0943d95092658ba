#include "model/block_dot.h"

#include "common/half.h"
#include "quant/quant_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb {

void quantizeQ8Blocks(const float* x, int64_t n, Q8Blocks& out) {
    out.q.resize(size_t(n));
    out.d.resize(size_t(n / 32));
    out.s.resize(size_t(n / 32));
    for (int64_t b = 0; b < n; b += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f, d = amax / 127.0f;
        out.d[size_t(b / 32)] = halfToFloat(floatToHalf(d));
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            out.q[size_t(b + j)] = int8_t(std::nearbyint(x[b + j] * id));
            sum += out.q[size_t(b + j)];
        }
        out.s[size_t(b / 32)] = halfToFloat(floatToHalf(float(sum) * d));
    }
}

bool hasIntegerDot(GgmlType t) {
    return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_0 || t == GgmlType::Q5_1 || t == GgmlType::Q8_0;
}

namespace {

// Element j's quant of a 4- or 5-bit block (qs: 16 bytes, element j in the low
// nibble of byte j, element j + 16 in the high one; qh: bit j = element j's fifth bit).
int nibble(const uint8_t* qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; }
int fifthBit(uint32_t qh, int j) { return int((qh >> j) & 1u) << 4; }

} // namespace

float integerDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8Blocks& x, int64_t firstBlock) {
    const int64_t nb = cols / 32;
    const int blockBytes = traits(t).blockBytes;
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * blockBytes;
        const size_t xb = size_t(firstBlock + b);
        const int8_t* xq = &x.q[xb * 32];
        const float dw = quant::getHalf(blk), dx = x.d[xb];
        int sumi = 0;
        switch (t) {
        case GgmlType::Q4_0:
            for (int j = 0; j < 32; ++j) sumi += (nibble(blk + 2, j) - 8) * xq[j];
            sum += float(sumi) * dw * dx;
            break;
        case GgmlType::Q4_1:
            for (int j = 0; j < 32; ++j) sumi += nibble(blk + 4, j) * xq[j];
            sum += (dw * dx) * float(sumi) + quant::getHalf(blk + 2) * x.s[xb];
            break;
        case GgmlType::Q5_0: {
            uint32_t qh;
            std::memcpy(&qh, blk + 2, 4);
            for (int j = 0; j < 32; ++j) sumi += ((nibble(blk + 6, j) | fifthBit(qh, j)) - 16) * xq[j];
            sum += (dw * dx) * float(sumi);
            break;
        }
        case GgmlType::Q5_1: {
            uint32_t qh;
            std::memcpy(&qh, blk + 4, 4);
            for (int j = 0; j < 32; ++j) sumi += (nibble(blk + 8, j) | fifthBit(qh, j)) * xq[j];
            sum += (dw * dx) * float(sumi) + quant::getHalf(blk + 2) * x.s[xb];
            break;
        }
        default: // Q8_0
            for (int j = 0; j < 32; ++j) sumi += int(int8_t(blk[2 + j])) * xq[j];
            sum += float(sumi) * (dw * dx);
            break;
        }
    }
    return sum;
}

} // namespace qb
