#pragma once
// FP8 E4M3 as OCP / NVIDIA / PyTorch float8_e4m3fn: 1 sign, 4 exponent bits
// (bias 7), 3 mantissa bits, no infinities, 0x7F/0xFF = NaN, largest 448.
// Encoding rounds to nearest even and saturates to +-448.
#include <cstdint>

namespace qb {

float fp8E4M3ToFloat(uint8_t v);
uint8_t floatToFp8E4M3(float f);
constexpr float kFp8E4M3Max = 448.0f;

} // namespace qb
