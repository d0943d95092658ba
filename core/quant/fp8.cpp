#include "quant/fp8.h"

#include <cmath>

namespace qb {

float fp8E4M3ToFloat(uint8_t v) {
    const int sign = v >> 7, exp = (v >> 3) & 0xF, mant = v & 7;
    if (exp == 0xF && mant == 7) return std::nanf("");
    const float mag = exp == 0 ? std::ldexp(float(mant), -9)                   // subnormal: mant * 2^-6 / 8
                               : std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
    return sign ? -mag : mag;
}

uint8_t floatToFp8E4M3(float f) {
    if (std::isnan(f)) return 0x7F;
    const uint8_t sign = std::signbit(f) ? 0x80 : 0;
    float a = std::fabs(f);
    if (a >= kFp8E4M3Max) return uint8_t(sign | 0x7E); // saturate to 448
    // Pick the representable neighbours and round to nearest, ties to even code.
    int e;
    std::frexp(a, &e);            // a = m * 2^e, m in [0.5, 1)
    int exp = e - 1 + 7;          // biased exponent of a normal number
    float step;                   // spacing of representable values around a
    if (exp <= 0) { exp = 0; step = std::ldexp(1.0f, -9); }
    else step = std::ldexp(1.0f, e - 1 - 3);
    const float q = a / step;
    float r = std::nearbyint(q); // ties to even (default rounding mode)
    float rounded = r * step;
    // re-encode the rounded magnitude
    if (rounded == 0) return sign;
    int e2;
    std::frexp(rounded, &e2);
    int exp2 = e2 - 1 + 7;
    uint8_t code;
    if (exp2 <= 0) code = uint8_t(int(rounded / std::ldexp(1.0f, -9))); // subnormal
    else {
        const int mant = int(std::lround((rounded / std::ldexp(1.0f, e2 - 1) - 1.0f) * 8.0f));
        code = uint8_t((exp2 << 3) | mant);
    }
    if (code > 0x7E) code = 0x7E;
    return uint8_t(sign | code);
}

} // namespace qb
