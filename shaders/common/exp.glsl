// The reference exp (core/model/exp_ref.h), operation for operation.
float expRef(float x) {
    if (x > 88.0) return uintBitsToFloat(0x7F800000u);
    if (x < -87.0) return 0.0;
    precise float n = roundEven(x * 1.44269504088896341);
    precise float r = (x - n * 0.693145751953125) - n * 1.42860682030941723212e-6;
    precise float p = 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    precise float result = p * uintBitsToFloat(uint(int(n) + 127) << 23);
    return result;
}

// SwiGLU's gate: silu(g) * u, as the reference computes it.
float siluTimes(float g, float u) {
    precise float y = g / (1.0 + expRef(-g)) * u;
    return y;
}
