#pragma once
// Per-type quantizers (legacy_quants.cpp, k_quants.cpp) and the byte helpers
// they share. Internal to core/quant: callers use quantize.h.
#include "common/half.h"

#include <cstdint>
#include <cstring>

namespace qb::quant {

inline void putHalf(uint8_t* p, float v) {
    const uint16_t h = floatToHalf(v);
    std::memcpy(p, &h, 2);
}
inline float getHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
}

// The 6-bit (scale, min) pair j of a Q4_K/Q5_K 12-byte scale array.
inline void scaleMinK4(int j, const uint8_t* q, uint8_t& sc, uint8_t& mn) {
    if (j < 4) {
        sc = q[j] & 63;
        mn = q[j + 4] & 63;
    } else {
        sc = uint8_t((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        mn = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

void quantizeQ8_0(const float* x, uint8_t* y, int64_t n);
void quantizeQ4_0(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ4_1(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ5_0(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ5_1(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ2_K(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ3_K(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ4_K(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ5_K(const float* x, uint8_t* y, int64_t n, const float* importance);
void quantizeQ6_K(const float* x, uint8_t* y, int64_t n, const float* importance);

} // namespace qb::quant
