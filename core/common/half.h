#pragma once
// IEEE binary16 and bfloat16 conversions, bit-exact with ggml's reference
// (round to nearest even; NaN kept as NaN).
#include <cstdint>
#include <cstring>

namespace qb {

inline uint32_t floatBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    const uint32_t mant = h & 0x3ff;
    if (exp == 0) {
        if (mant == 0) return bitsFloat(sign);
        // subnormal: value = mant * 2^-24
        float v = float(mant) * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (exp == 31) return bitsFloat(sign | 0x7f800000 | (mant << 13));
    return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t floatToHalf(float f) {
    // Same algorithm as ggml's GGML_FP32_TO_FP16 reference (Maratyszcza/FP16).
    const float scaleToInf = bitsFloat(0x77800000u);
    const float scaleToZero = bitsFloat(0x08800000u);
    float base = (f < 0 ? -f : f) * scaleToInf * scaleToZero;
    const uint32_t w = floatBits(f);
    const uint32_t shl1w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1w & 0xff000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = bitsFloat((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = floatBits(base);
    const uint32_t expBits = (bits >> 13) & 0x00007c00u;
    const uint32_t mantBits = bits & 0x00000fffu;
    const uint32_t nonsign = expBits + mantBits;
    return uint16_t((sign >> 16) | (shl1w > 0xff000000u ? 0x7e00u : nonsign));
}

inline float bf16ToFloat(uint16_t b) { return bitsFloat(uint32_t(b) << 16); }

inline uint16_t floatToBf16(float f) {
    uint32_t u = floatBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return uint16_t((u >> 16) | 64); // quiet NaN
    return uint16_t((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

} // namespace qb
