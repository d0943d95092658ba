// The reference tanh, soft-cap and GELU (core/model/activations.h), operation
// for operation. Needs common/exp.glsl.
float tanhRef(float x) {
    float a = abs(x);
    precise float t;
    if (a < 0.55) {
        precise float z = a * a;
        precise float p = -443861162.0 / 1856156927625.0;
        p = p * z + 6404582.0 / 10854718875.0;
        p = p * z + -929569.0 / 638512875.0;
        p = p * z + 21844.0 / 6081075.0;
        p = p * z + -1382.0 / 155925.0;
        p = p * z + 62.0 / 2835.0;
        p = p * z + -17.0 / 315.0;
        p = p * z + 2.0 / 15.0;
        p = p * z + -1.0 / 3.0;
        t = a + a * (z * p);
    } else if (a > 9.0) {
        t = 1.0;
    } else {
        precise float e = expRef(2.0 * a);
        t = 1.0 - 2.0 / (e + 1.0);
    }
    return x < 0.0 ? -t : t;
}

float softcapRef(float x, float cap) {
    precise float y = tanhRef(x * (1.0 / cap)) * cap;
    return y;
}

// The F16 bit pattern of v rounded to nearest, ties to even (the CPU's floatToHalf), by integer arithmetic.
uint halfBitsRte(float v) {
    uint u = floatBitsToUint(v), sgn = (u >> 16) & 0x8000u, a = u & 0x7FFFFFFFu;
    if (a >= 0x477FF000u) return sgn | 0x7C00u;
    if (a < 0x38800000u) return sgn | uint(roundEven(uintBitsToFloat(a) * 16777216.0)); // subnormal: multiples of 2^-24
    a += 0xFFFu + ((a >> 13) & 1u);
    return sgn | ((a - 0x38000000u) >> 13);
}

#ifdef GELU_TABLE
// ggml's GELU in GeGLU: 0 below -10, x above 10, else its F16 table (the includer defines GELU_TABLE(i)).
float geluRef(float x) {
    if (x <= -10.0) return 0.0;
    if (x >= 10.0) return x;
    return GELU_TABLE(halfBitsRte(x));
}
#endif
