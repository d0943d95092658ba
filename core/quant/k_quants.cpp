// 256-element super-block types Q2_K .. Q6_K. Round-to-nearest as ggml's
// quantize_row_*_ref; importance-weighted as quantize_row_*_impl.
#include "quant/quant_blocks.h"
#include "quant/quant_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb::quant {

namespace {

constexpr int QK = 256;

// Packs eight 6-bit (scale, min) pairs into the 12-byte K-quant scale array.
void packScalesMins(const uint8_t* ls, const uint8_t* lm, uint8_t* scales) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            scales[j] = ls[j];
            scales[j + 4] = lm[j];
        } else {
            scales[j + 4] = uint8_t((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            scales[j - 4] |= uint8_t((ls[j] >> 4) << 6);
            scales[j] |= uint8_t((lm[j] >> 4) << 6);
        }
    }
}

// Final levels for Q4_K/Q5_K from the stored (quantized) scales and mins.
void requantizeWithMins(const float* x, const uint8_t* block, uint8_t* L, int nmax) {
    const float d = getHalf(block), dmin = getHalf(block + 2);
    for (int j = 0; j < QK / 32; ++j) {
        uint8_t sc, m;
        scaleMinK4(j, block + 4, sc, m);
        const float dd = d * sc;
        if (!dd) continue;
        const float dm = dmin * m;
        for (int ii = 0; ii < 32; ++ii) {
            const int l = nearestInt((x[32 * j + ii] + dm) / dd);
            L[32 * j + ii] = uint8_t(std::max(0, std::min(nmax, l)));
        }
    }
}

void pack2Bits(const uint8_t* L, uint8_t* qs) {
    for (int j = 0; j < QK; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

// Q3_K's sixteen 6-bit scales (stored +32) into its 12-byte array.
void packQ3Scales(const int* l6, uint8_t* scales) {
    std::memset(scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
        int l = l6[j];
        if (j < 8) scales[j] = uint8_t(l & 0xF);
        else scales[j - 8] |= uint8_t((l & 0xF) << 4);
        l >>= 4;
        scales[j % 4 + 8] |= uint8_t(l << (2 * (j / 4)));
    }
}

// The rest of Q3_K once its scales are stored: levels, high-bit mask, 2-bit pack.
void finishQ3(const float* x, uint8_t* y, int8_t* L) {
    uint8_t* hmask = y;
    uint8_t* qs = y + 32;
    const uint8_t* scales = y + 96;
    const float d = getHalf(y + 108);
    for (int j = 0; j < 16; ++j) {
        int8_t sc = int8_t(j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4);
        sc = int8_t((sc | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
        const float dd = d * sc;
        if (!dd) continue;
        for (int ii = 0; ii < 16; ++ii) {
            const int l = nearestInt(x[16 * j + ii] / dd);
            L[16 * j + ii] = int8_t(std::max(-4, std::min(3, l)) + 4);
        }
    }
    std::memset(hmask, 0, QK / 8);
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < QK; ++j) {
        if (L[j] > 3) {
            hmask[m] |= hm;
            L[j] = int8_t(L[j] - 4);
        }
        if (++m == QK / 8) {
            m = 0;
            hm = uint8_t(hm << 1);
        }
    }
    pack2Bits(reinterpret_cast<uint8_t*>(L), qs);
}

void packQ5(const uint8_t* L, uint8_t* qh, uint8_t* ql) {
    std::memset(qh, 0, QK / 8);
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < QK; n += 64) {
        for (int j = 0; j < 32; ++j) {
            int l1 = L[n + j], l2 = L[n + j + 32];
            if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
            if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
            ql[j] = uint8_t(l1 | (l2 << 4));
        }
        m1 = uint8_t(m1 << 2);
        m2 = uint8_t(m2 << 2);
        ql += 32;
    }
}

// Q4_K / Q5_K share everything but the level count and packing.
void quantizeQ45_K(const float* x, uint8_t* y, int64_t n, const float* qw, int nmax, int blockBytes) {
    for (int64_t i = 0; i < n / QK; ++i, x += QK, y += blockBytes) {
        uint8_t L[QK], Laux[32], ls[8], lm[8];
        float weights[32], mins[8], scales[8];
        std::memset(y + 4, 0, 12);
        if (!qw) {
            float maxScale = 0, maxMin = 0, subWeights[QK];
            for (int j = 0; j < 8; ++j) {
                float sumX2 = 0;
                for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
                const float avX = std::sqrt(sumX2 / 32);
                for (int l = 0; l < 32; ++l) subWeights[32 * j + l] = avX + std::fabs(x[32 * j + l]);
            }
            // ggml's make_qkx2_quants on each sub-block; the 8 searched side by side
            if (nmax == 15) makeQkx2Quants8x32(15, x, subWeights, L, mins, scales, -1.f, 0.1f, 20);
            else makeQkx2Quants8x32(31, x, subWeights, L, mins, scales, -0.5f, 0.1f, 15);
            for (int j = 0; j < 8; ++j) {
                maxScale = std::max(maxScale, scales[j]);
                maxMin = std::max(maxMin, mins[j]);
            }
            const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; ++j) {
                ls[j] = std::min<uint8_t>(63, uint8_t(nearestInt(invScale * scales[j])));
                lm[j] = std::min<uint8_t>(63, uint8_t(nearestInt(invMin * mins[j])));
            }
            packScalesMins(ls, lm, y + 4);
            putHalf(y, maxScale / 63.f);
            putHalf(y + 2, maxMin / 63.f);
        } else {
            const float* w = qw + i * QK;
            float sumX2 = 0;
            for (int l = 0; l < QK; ++l) sumX2 += x[l] * x[l];
            const float sigma2 = 2 * sumX2 / QK;
            float sw[8];
            for (int j = 0; j < 8; ++j) {
                for (int l = 0; l < 32; ++l) weights[l] = w[32 * j + l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
                float sumw = 0;
                for (int l = 0; l < 32; ++l) sumw += weights[l];
                sw[j] = sumw;
                scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
            }
            const float dBlock = makeQpQuants(8, 63, scales, ls, sw);
            const float mBlock = makeQpQuants(8, 63, mins, lm, sw);
            for (int j = 0; j < 8; ++j) {
                ls[j] = std::min<uint8_t>(63, ls[j]);
                lm[j] = std::min<uint8_t>(63, lm[j]);
            }
            packScalesMins(ls, lm, y + 4);
            putHalf(y, dBlock);
            putHalf(y + 2, mBlock);
        }
        requantizeWithMins(x, y, L, nmax);
        if (nmax == 15) {
            uint8_t* q = y + 16;
            for (int j = 0; j < QK; j += 64, q += 32)
                for (int l = 0; l < 32; ++l) q[l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
        } else {
            packQ5(L, y + 16, y + 48);
        }
    }
}

} // namespace

void quantizeQ2_K(const float* x, uint8_t* y, int64_t n, const float* qw) {
    for (int64_t i = 0; i < n / QK; ++i, x += QK, y += 84) {
        uint8_t* scalesOut = y;
        uint8_t L[QK], Laux[16];
        float weights[16], mins[16], scales[16];
        float dm, mm;
        if (!qw) {
            const float q4scale = 15.f;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
                scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
                maxScale = std::max(maxScale, scales[j]);
                maxMin = std::max(maxMin, mins[j]);
            }
            if (maxScale > 0) {
                const float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; ++j) scalesOut[j] = uint8_t(nearestInt(iscale * scales[j]));
                putHalf(y + 80, maxScale / q4scale);
            } else {
                std::memset(scalesOut, 0, 16);
                putHalf(y + 80, 0.f);
            }
            if (maxMin > 0) {
                const float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; ++j) scalesOut[j] |= uint8_t(nearestInt(iscale * mins[j]) << 4);
                putHalf(y + 82, maxMin / q4scale);
            } else {
                putHalf(y + 82, 0.f);
            }
            dm = getHalf(y + 80);
            mm = getHalf(y + 82);
        } else {
            const float* w = qw + i * QK;
            float sumX2 = 0;
            for (int j = 0; j < QK; ++j) sumX2 += x[j] * x[j];
            const float sigma2 = sumX2 / QK;
            float sw[16] = {};
            uint8_t Ls[16], Lm[16];
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weights[l] = w[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
                for (int l = 0; l < 16; ++l) sw[j] += weights[l];
                scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
            }
            dm = makeQpQuants(16, 15, scales, Ls, sw);
            mm = makeQpQuants(16, 15, mins, Lm, sw);
            putHalf(y + 80, dm);
            putHalf(y + 82, mm);
            dm = getHalf(y + 80);
            mm = getHalf(y + 82);
            for (int j = 0; j < 16; ++j) scalesOut[j] = uint8_t(Ls[j] | (Lm[j] << 4));
        }
        for (int j = 0; j < 16; ++j) {
            const float d = dm * (scalesOut[j] & 0xF);
            if (!d) continue;
            const float m = mm * (scalesOut[j] >> 4);
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearestInt((x[16 * j + ii] + m) / d);
                L[16 * j + ii] = uint8_t(std::max(0, std::min(3, l)));
            }
        }
        pack2Bits(L, y + 16);
    }
}

void quantizeQ3_K(const float* x, uint8_t* y, int64_t n, const float* qw) {
    for (int64_t i = 0; i < n / QK; ++i, x += QK, y += 110) {
        int8_t L[QK];
        float scales[16];
        int l6[16];
        if (!qw) {
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; ++j) {
                scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j, true);
                const float s = std::fabs(scales[j]);
                if (s > amax) { amax = s; maxScale = scales[j]; }
            }
            if (maxScale) {
                const float iscale = -32.f / maxScale;
                for (int j = 0; j < 16; ++j) {
                    int8_t l = int8_t(nearestInt(iscale * scales[j]));
                    l6[j] = std::max<int>(-32, std::min<int>(31, l)) + 32;
                }
                packQ3Scales(l6, y + 96);
                putHalf(y + 108, 1 / iscale);
            } else {
                std::memset(y + 96, 0, 12);
                putHalf(y + 108, 0.f);
            }
        } else {
            const float* w = qw + i * QK;
            float sumX2 = 0;
            for (int j = 0; j < QK; ++j) sumX2 += x[j] * x[j];
            const float sigma2 = 2 * sumX2 / QK;
            float weight[16], sw[16];
            int8_t Ls[16];
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weight[l] = w[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
                float sumw = 0;
                for (int l = 0; l < 16; ++l) sumw += weight[l];
                sw[j] = sumw;
                scales[j] = makeQxQuants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
            }
            const float dBlock = makeQxQuants(16, 32, scales, Ls, 1, sw);
            for (int j = 0; j < 16; ++j) l6[j] = Ls[j];
            packQ3Scales(l6, y + 96);
            putHalf(y + 108, dBlock);
        }
        finishQ3(x, y, L);
    }
}

void quantizeQ4_K(const float* x, uint8_t* y, int64_t n, const float* qw) { quantizeQ45_K(x, y, n, qw, 15, 144); }
void quantizeQ5_K(const float* x, uint8_t* y, int64_t n, const float* qw) { quantizeQ45_K(x, y, n, qw, 31, 176); }

void quantizeQ6_K(const float* x, uint8_t* y, int64_t n, const float* qw) {
    for (int64_t i = 0; i < n / QK; ++i, x += QK, y += 210) {
        int8_t L[QK];
        float scales[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            const float scale = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw ? qw + i * QK + 16 * ib : nullptr);
            scales[ib] = scale;
            if (std::fabs(scale) > maxAbsScale) {
                maxAbsScale = std::fabs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < kGroupMaxEps) {
            std::memset(y, 0, 210);
            continue;
        }
        uint8_t* ql = y;
        uint8_t* qh = y + 128;
        int8_t* sc = reinterpret_cast<int8_t*>(y + 192);
        const float iscale = -128.f / maxScale;
        putHalf(y + 208, 1 / iscale);
        for (int ib = 0; ib < 16; ++ib) sc[ib] = int8_t(std::min(127, nearestInt(iscale * scales[ib])));
        const float d = getHalf(y + 208);
        for (int j = 0; j < 16; ++j) {
            const float dd = d * sc[j];
            if (!dd) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearestInt(x[16 * j + ii] / dd);
                L[16 * j + ii] = int8_t(std::max(-32, std::min(31, l)) + 32);
            }
        }
        for (int j = 0; j < QK; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                const uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                ql[l] = uint8_t(q1 | (q3 << 4));
                ql[l + 32] = uint8_t(q2 | (q4 << 4));
                qh[l] = uint8_t((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}

} // namespace qb::quant
