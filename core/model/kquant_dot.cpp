#include "model/kquant_dot.h"

#include "common/error.h"
#include "quant/quant_blocks.h"
#include "quant/quant_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb {

void quantizeQ8KBlocks(const float* x, int64_t n, Q8KBlocks& out) {
    out.q.assign(size_t(n), 0);
    out.d.assign(size_t(n / 256), 0.0f);
    out.bsums.assign(size_t(n / 16), 0);
    for (int64_t b = 0; b < n / 256; ++b) {
        const float* xb = x + b * 256;
        float amax;
        const float maxv = quant::signedMaxMagnitude(xb, 256, amax);
        if (amax == 0.0f) continue; // d = 0, quants 0
        const float iscale = -127.0f / maxv;
        for (int j = 0; j < 256; ++j) out.q[size_t(b * 256 + j)] = int8_t(std::min(127, quant::nearestInt(iscale * xb[j])));
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int j = 0; j < 16; ++j) s += out.q[size_t(b * 256 + g * 16 + j)];
            out.bsums[size_t(b * 16 + g)] = int16_t(s);
        }
        out.d[size_t(b)] = 1.0f / iscale;
    }
}

bool hasKQuantDot(GgmlType t) {
    return t == GgmlType::Q2_K || t == GgmlType::Q3_K || t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K;
}

void unpackKBlock(GgmlType t, const uint8_t* blk, KBlockInts& k) {
    std::memset(k.min, 0, sizeof k.min);
    k.offset = 0;
    k.hasMins = false;
    k.dmin = 0.0f;
    switch (t) {
    case GgmlType::Q2_K: { // scales[16] (scale | min << 4), qs[64], d, dmin
        const uint8_t *sc = blk, *qs = blk + 16;
        for (int e = 0; e < 256; ++e) {
            const int hf = e / 128, k2 = (e % 128) / 32, l = e % 32;
            k.u[e] = uint8_t((qs[32 * hf + l] >> (2 * k2)) & 3);
        }
        for (int g = 0; g < 16; ++g) {
            k.scale[g] = int8_t(sc[g] & 15);
            k.min[g] = uint8_t(sc[g] >> 4);
        }
        k.groupSize = 16;
        k.hasMins = true;
        k.d = quant::getHalf(blk + 80);
        k.dmin = quant::getHalf(blk + 82);
        return;
    }
    case GgmlType::Q3_K: { // hmask[32], qs[64], scales[12] (6-bit, -32), d
        const uint8_t *hm = blk, *qs = blk + 32, *sc = blk + 96;
        for (int e = 0; e < 256; ++e) {
            const int hf = e / 128, k2 = (e % 128) / 32, l = e % 32;
            k.u[e] = uint8_t(((qs[32 * hf + l] >> (2 * k2)) & 3) | (((hm[l] >> (4 * hf + k2)) & 1) << 2));
        }
        for (int g = 0; g < 16; ++g) {
            const int low = g < 8 ? (sc[g] & 15) : (sc[g - 8] >> 4);
            const int high = (sc[8 + (g & 3)] >> (2 * (g >> 2))) & 3;
            k.scale[g] = int8_t((low | (high << 4)) - 32);
        }
        k.groupSize = 16;
        k.offset = 4;
        k.d = quant::getHalf(blk + 108);
        return;
    }
    case GgmlType::Q4_K:
    case GgmlType::Q5_K: { // d, dmin, scales[12], (Q5_K: qh[32]), qs[128]
        const bool five = t == GgmlType::Q5_K;
        const uint8_t *sc = blk + 4, *qh = blk + 16, *qs = blk + (five ? 48 : 16);
        for (int e = 0; e < 256; ++e) {
            const int c = e / 64, h = (e % 64) / 32, l = e % 32;
            int u = (qs[32 * c + l] >> (4 * h)) & 15;
            if (five) u |= ((qh[l] >> (e / 32)) & 1) << 4;
            k.u[e] = uint8_t(u);
        }
        for (int j = 0; j < 8; ++j) {
            uint8_t s, m;
            quant::scaleMinK4(j, sc, s, m);
            k.scale[j] = int8_t(s);
            k.min[j] = m;
        }
        k.groupSize = 32;
        k.hasMins = true;
        k.d = quant::getHalf(blk);
        k.dmin = quant::getHalf(blk + 2);
        return;
    }
    case GgmlType::Q6_K: { // ql[128], qh[64], scales[16] (int8), d
        const uint8_t *ql = blk, *qh = blk + 128;
        for (int e = 0; e < 256; ++e) {
            const int hf = e / 128, k2 = (e % 128) / 32, l = e % 32;
            const int low = (ql[64 * hf + l + ((k2 & 1) ? 32 : 0)] >> (k2 < 2 ? 0 : 4)) & 15;
            const int high = (qh[32 * hf + l] >> (2 * k2)) & 3;
            k.u[e] = uint8_t(low | (high << 4));
        }
        std::memcpy(k.scale, blk + 192, 16);
        k.groupSize = 16;
        k.offset = 32;
        k.d = quant::getHalf(blk + 208);
        return;
    }
    default:
        break;
    }
    throw Error(std::string("unpackKBlock: ") + typeName(t) + " is not a K-quant type", ErrorKind::Internal);
}

namespace {

// One super-block's contribution to `sum` against activation super-block xb.
void addBlockDot(const KBlockInts& k, const Q8KBlocks& x, int64_t xb, float& sum) {
    const int8_t* xq = &x.q[size_t(xb * 256)];
    const int16_t* bs = &x.bsums[size_t(xb * 16)];
    int isum = 0, msum = 0;
    for (int g = 0; g < 256 / k.groupSize; ++g) {
        int dot = 0;
        for (int e = g * k.groupSize; e < (g + 1) * k.groupSize; ++e) dot += int(k.u[e]) * xq[e];
        const int bsum = k.groupSize == 16 ? bs[g] : bs[2 * g] + bs[2 * g + 1];
        isum += k.scale[g] * (dot - k.offset * bsum);
        msum += k.min[g] * bsum;
    }
    const float dx = x.d[size_t(xb)];
    sum += float(isum) * (k.d * dx);
    if (k.hasMins) sum -= float(msum) * (k.dmin * dx);
}

} // namespace

void kQuantDotTokens(GgmlType t, const uint8_t* row, int64_t cols, const Q8KBlocks& x, int64_t firstBlock, int tokens, float* y, int64_t yStride) {
    const int64_t nb = cols / 256;
    const int blockBytes = traits(t).blockBytes;
    for (int tk = 0; tk < tokens; ++tk) y[tk * yStride] = 0.0f;
    KBlockInts k;
    for (int64_t b = 0; b < nb; ++b) { // each super-block unpacked once for all tokens
        unpackKBlock(t, row + b * blockBytes, k);
        for (int tk = 0; tk < tokens; ++tk) addBlockDot(k, x, firstBlock + tk * nb + b, y[tk * yStride]);
    }
}

float kQuantDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8KBlocks& x, int64_t firstBlock) {
    float sum;
    kQuantDotTokens(t, row, cols, x, firstBlock, 1, &sum, 1);
    return sum;
}

} // namespace qb
