// Round to the nearest F16 value, ties to even, by integer arithmetic (the
// conversion mode of packHalf2x16 is the driver's choice); matches the CPU's
// floatToHalf for every finite input.
float roundHalfRte(float v) {
    uint u = floatBitsToUint(v), sgn = u & 0x80000000u, a = u & 0x7FFFFFFFu;
    if (a >= 0x477FF000u) return uintBitsToFloat(sgn | 0x7F800000u); // beyond F16's range
    if (a < 0x38800000u) { // F16 subnormal range: multiples of 2^-24
        float q = roundEven(uintBitsToFloat(a) * 16777216.0) / 16777216.0;
        return uintBitsToFloat(sgn | floatBitsToUint(q));
    }
    a += 0xFFFu + ((a >> 13) & 1u);
    return uintBitsToFloat(sgn | (a & 0xFFFFE000u));
}

// Round to the nearest BF16 value, ties to even (the CPU's floatToBf16).
float roundBf16Rte(float v) {
    uint u = floatBitsToUint(v);
    u = (u + (0x7FFFu + ((u >> 16) & 1u))) & 0xFFFF0000u;
    return uintBitsToFloat(u);
}
