#include "quant/quant_search.h"

#include "common/kernel_clones.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace qb::quant {

namespace {
// Per-element weight when no importance is given (rmse_type 1..4 in ggml).
float defaultWeight(int rmseType, float x) {
    switch (rmseType) {
    case 1: return x * x;
    case 2: return 1;
    case 3: return std::fabs(x);
    default: return std::sqrt(std::fabs(x));
    }
}
} // namespace

float signedMaxMagnitude(const float* x, int n, float& amax) {
    float max = 0;
    amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) { amax = ax; max = x[i]; }
    }
    return max;
}

QB_KERNEL_CLONES
float makeQxQuants(int n, int nmax, const float* x, int8_t* L, int rmseType, const float* qw) {
    float amax;
    const float max = signedMaxMagnitude(x, n, amax);
    if (amax < kGroupMaxEps) {
        std::fill(L, L + n, int8_t(0));
        return 0.f;
    }
    float iscale = -nmax / max;
    if (rmseType == 0) {
        for (int i = 0; i < n; ++i) {
            const int l = nearestInt(iscale * x[i]);
            L[i] = int8_t(nmax + std::max(-nmax, std::min(nmax - 1, l)));
        }
        return 1 / iscale;
    }
    bool returnEarly = false;
    if (rmseType < 0) {
        rmseType = -rmseType;
        returnEarly = true;
    }
    // each value's weight, and weight x value, once (the products ggml forms inside every trial, in the same order)
    if (n > 32) throw std::logic_error("makeQxQuants: more than 32 values"); // ggml runs it on 16- and 32-value groups
    float w[32], wx[32];
    for (int i = 0; i < n; ++i) {
        w[i] = qw ? qw[i] : defaultWeight(rmseType, x[i]);
        wx[i] = w[i] * x[i];
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearestInt(iscale * x[i]);
        l = std::max(-nmax, std::min(nmax - 1, l));
        L[i] = int8_t(l + nmax);
        sumlx += wx[i] * l;
        suml2 += w[i] * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[i]);
            l = std::max(-nmax, std::min(nmax - 1, l));
            sumlx += wx[i] * l;
            suml2 += w[i] * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                const int l = nearestInt(iscale * x[i]);
                L[i] = int8_t(nmax + std::max(-nmax, std::min(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float makeQ3Quants(int n, int nmax, const float* x, int8_t* L, bool doRmse) {
    float amax;
    const float max = signedMaxMagnitude(x, n, amax);
    if (amax < kGroupMaxEps) {
        std::fill(L, L + n, int8_t(0));
        return 0.f;
    }
    const float iscale = -nmax / max;
    if (doRmse) {
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[i]);
            l = std::max(-nmax, std::min(nmax - 1, l));
            L[i] = int8_t(l);
            const float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int changed = 0;
            for (int i = 0; i < n; ++i) {
                const float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[i] * L[i];
                    int newL = nearestInt(x[i] * sl2 / slx);
                    newL = std::max(-nmax, std::min(nmax - 1, newL));
                    if (newL != L[i]) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = int8_t(newL);
                            sumlx = slx;
                            suml2 = sl2;
                            ++changed;
                        }
                    }
                }
            }
            if (!changed) break;
        }
        for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
    for (int i = 0; i < n; ++i) {
        int l = nearestInt(iscale * x[i]);
        l = std::max(-nmax, std::min(nmax - 1, l));
        L[i] = int8_t(l + nmax);
    }
    return 1 / iscale;
}

float makeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, uint8_t* Laux,
                     float rmin, float rdelta, int nstep, bool useMad) {
    float min = x[0], max = x[0];
    float sumW = weights[0];
    float sumX = sumW * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sumW += w;
        sumX += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        std::fill(L, L + n, uint8_t(0));
        *theMin = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float bestError = 0;
    for (int i = 0; i < n; ++i) {
        const int l = nearestInt(iscale * (x[i] - min));
        L[i] = uint8_t(std::max(0, std::min(nmax, l)));
        float diff = scale * L[i] + min - x[i];
        diff = useMad ? std::fabs(diff) : diff * diff;
        bestError += weights[i] * diff;
    }
    if (nstep < 1) {
        *theMin = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sumL = 0, sumL2 = 0, sumXL = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * (x[i] - min));
            l = std::max(0, std::min(nmax, l));
            Laux[i] = uint8_t(l);
            const float w = weights[i];
            sumL += w * l;
            sumL2 += w * l * l;
            sumXL += w * l * x[i];
        }
        const float D = sumW * sumL2 - sumL * sumL;
        if (D > 0) {
            float thisScale = (sumW * sumXL - sumX * sumL) / D;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
            if (thisMin > 0) {
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float curError = 0;
            for (int i = 0; i < n; ++i) {
                float diff = thisScale * Laux[i] + thisMin - x[i];
                diff = useMad ? std::fabs(diff) : diff * diff;
                curError += weights[i] * diff;
            }
            if (curError < bestError) {
                std::copy(Laux, Laux + n, L);
                bestError = curError;
                scale = thisScale;
                min = thisMin;
            }
        }
    }
    *theMin = -min;
    return scale;
}

QB_KERNEL_CLONES
void makeQkx2Quants8x32(int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, float* scaleOut, float rmin,
                        float rdelta, int nstep) {
    constexpr int kLanes = 8, kN = 32;
    // lane-major inputs transposed so that the 8 lanes of value i sit side by side
    float xT[kN][kLanes], wT[kN][kLanes];
    for (int j = 0; j < kLanes; ++j)
        for (int i = 0; i < kN; ++i) {
            xT[i][j] = x[j * kN + i];
            wT[i][j] = weights[j * kN + i];
        }
    float min[kLanes], max[kLanes], sumW[kLanes], sumX[kLanes], scale[kLanes], bestError[kLanes];
    bool live[kLanes];
    for (int j = 0; j < kLanes; ++j) { // each lane's first pass, as makeQkx2Quants
        min[j] = max[j] = xT[0][j];
        sumW[j] = wT[0][j];
        sumX[j] = sumW[j] * xT[0][j];
        for (int i = 1; i < kN; ++i) {
            if (xT[i][j] < min[j]) min[j] = xT[i][j];
            if (xT[i][j] > max[j]) max[j] = xT[i][j];
            const float w = wT[i][j];
            sumW[j] += w;
            sumX[j] += w * xT[i][j];
        }
        if (min[j] > 0) min[j] = 0;
        live[j] = max[j] != min[j];
        scale[j] = 0;
        bestError[j] = 0;
        if (!live[j]) {
            for (int i = 0; i < kN; ++i) L[j * kN + i] = 0;
            continue;
        }
        const float iscale = nmax / (max[j] - min[j]);
        scale[j] = 1 / iscale;
        for (int i = 0; i < kN; ++i) {
            const int l = nearestInt(iscale * (xT[i][j] - min[j]));
            L[j * kN + i] = uint8_t(std::max(0, std::min(nmax, l)));
            float diff = scale[j] * L[j * kN + i] + min[j] - xT[i][j];
            diff = diff * diff;
            bestError[j] += wT[i][j] * diff;
        }
    }
    // The trials with the 8 lanes as one vector each: the same operations in
    // the same order per lane (nearestInt's 1.5·2^23 trick included).
    typedef float F8 __attribute__((vector_size(32)));
    typedef int I8 __attribute__((vector_size(32)));
    F8 xv[kN], wv[kN];
    for (int i = 0; i < kN; ++i) {
        std::memcpy(&xv[i], xT[i], sizeof xv[i]);
        std::memcpy(&wv[i], wT[i], sizeof wv[i]);
    }
    for (int is = 0; nstep >= 1 && is <= nstep; ++is) {
        float iscale[kLanes], sumL[kLanes], sumL2[kLanes], sumXL[kLanes], curError[kLanes], thisScale[kLanes] = {}, thisMin[kLanes] = {};
        int trial[kN][kLanes];
        for (int j = 0; j < kLanes; ++j) iscale[j] = live[j] ? (rmin + rdelta * is + nmax) / (max[j] - min[j]) : 0.f;
        F8 iscaleV, minV, sumLV = {}, sumL2V = {}, sumXLV = {};
        std::memcpy(&iscaleV, iscale, sizeof iscaleV);
        std::memcpy(&minV, min, sizeof minV); // a better trial moves the lane's min
        const I8 zero = {}, top = zero + nmax;
        I8 trialV[kN];
        for (int i = 0; i < kN; ++i) {
            const F8 shifted = iscaleV * (xv[i] - minV) + 12582912.f;
            I8 l = ((I8)shifted & 0x007fffff) - 0x00400000;
            l &= ~(l < zero);                            // max(0, l)
            const I8 over = l > top;
            l = (l & ~over) | (top & over);              // min(nmax, l)
            trialV[i] = l;
            const F8 lf = __builtin_convertvector(l, F8);
            sumLV += wv[i] * lf;
            sumL2V += wv[i] * lf * lf;
            sumXLV += wv[i] * lf * xv[i];
        }
        std::memcpy(sumL, &sumLV, sizeof sumL);
        std::memcpy(sumL2, &sumL2V, sizeof sumL2);
        std::memcpy(sumXL, &sumXLV, sizeof sumXL);
        std::memcpy(trial, trialV, sizeof trial);
        bool fit[kLanes];
        for (int j = 0; j < kLanes; ++j) {
            const float D = sumW[j] * sumL2[j] - sumL[j] * sumL[j];
            fit[j] = live[j] && D > 0;
            if (!fit[j]) continue;
            thisScale[j] = (sumW[j] * sumXL[j] - sumX[j] * sumL[j]) / D;
            thisMin[j] = (sumL2[j] * sumX[j] - sumL[j] * sumXL[j]) / D;
            if (thisMin[j] > 0) {
                thisMin[j] = 0;
                thisScale[j] = sumXL[j] / sumL2[j];
            }
        }
        F8 scaleV, minTrialV, errorV = {};
        std::memcpy(&scaleV, thisScale, sizeof scaleV);
        std::memcpy(&minTrialV, thisMin, sizeof minTrialV);
        for (int i = 0; i < kN; ++i) {
            F8 diff = scaleV * __builtin_convertvector(trialV[i], F8) + minTrialV - xv[i];
            diff = diff * diff;
            errorV += wv[i] * diff;
        }
        std::memcpy(curError, &errorV, sizeof curError);
        for (int j = 0; j < kLanes; ++j)
            if (fit[j] && curError[j] < bestError[j]) {
                for (int i = 0; i < kN; ++i) L[j * kN + i] = uint8_t(trial[i][j]);
                bestError[j] = curError[j];
                scale[j] = thisScale[j];
                min[j] = thisMin[j];
            }
    }
    for (int j = 0; j < kLanes; ++j) {
        theMin[j] = -min[j];
        scaleOut[j] = scale[j];
    }
}

float makeQkx3Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, uint8_t* Laux,
                     float rmin, float rdelta, int nstep, bool useMad) {
    // ggml's make_qkx3_quants is make_qkx2_quants with x^2 as the default weight.
    if (weights) return makeQkx2Quants(n, nmax, x, weights, L, theMin, Laux, rmin, rdelta, nstep, useMad);
    std::vector<float> w(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) w[size_t(i)] = x[i] * x[i];
    return makeQkx2Quants(n, nmax, x, w.data(), L, theMin, Laux, rmin, rdelta, nstep, useMad);
}

float makeQpQuants(int n, int nmax, const float* x, uint8_t* L, const float* qw) {
    float max = 0;
    for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
    if (max < kGroupMaxEps) {
        std::fill(L, L + n, uint8_t(0));
        return 0.f;
    }
    float iscale = nmax / max;
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nearestInt(iscale * x[i]));
    const float scale = 1 / iscale;
    float bestMse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * L[i];
        bestMse += qw[i] * diff * diff;
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscaleIs = (0.1f * is + nmax) / max;
        const float scaleIs = 1 / iscaleIs;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscaleIs * x[i]);
            l = std::min(nmax, l);
            const float diff = x[i] - scaleIs * l;
            mse += qw[i] * diff * diff;
        }
        if (mse < bestMse) {
            bestMse = mse;
            iscale = iscaleIs;
        }
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearestInt(iscale * x[i]);
        l = std::min(nmax, l);
        L[i] = uint8_t(l);
        const float w = qw[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (int itry = 0; itry < 5; ++itry) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = qw[i];
            float slx = sumlx - w * x[i] * L[i];
            float sl2 = suml2 - w * L[i] * L[i];
            if (slx > 0 && sl2 > 0) {
                int newL = nearestInt(x[i] * sl2 / slx);
                newL = std::min(nmax, newL);
                if (newL != L[i]) {
                    slx += w * x[i] * newL;
                    sl2 += w * newL * newL;
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = uint8_t(newL);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

} // namespace qb::quant
