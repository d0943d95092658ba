// KV cache storage formats (one per variant): KV_F32 (float bits), KV_F16
// (two halves per uint), KV_Q8_0 (int8 bytes + an F16-valued scale per
// 32-value block, as llama.cpp's Q8_0 quantizer makes them) and KV_FP8
// (E4M3 bytes + an F32 scale max|x|/448 per 32-value block). Caches are bound
// as uint[] with the block scales in a float[] beside them.

float fp8e4m3(uint v) {
    uint e = (v >> 3) & 15u, m = v & 7u;
    float mag = e == 0u ? float(m) * exp2(-9.0) : (1.0 + float(m) / 8.0) * exp2(float(e) - 7.0);
    return (v & 128u) != 0u ? -mag : mag;
}

// KV_WORD(B, i) reads word i of a cache; an includer reading through a
// texel buffer defines it first.
#ifndef KV_WORD
#define KV_WORD(B, i) B[i]
#endif
#ifndef KV_SCALE
#define KV_SCALE(S, i) S[i]
#endif

#if defined(KV_F32)
#define KV_LOAD(B, S, i) uintBitsToFloat(KV_WORD(B, i))
#elif defined(KV_F16)
#define KV_LOAD(B, S, i) unpackHalf2x16(KV_WORD(B, (i) >> 1u))[(i) & 1u]
#elif defined(KV_Q8_0)
#define KV_LOAD(B, S, i) (float(int(KV_WORD(B, (i) >> 2u) << (24u - 8u * ((i) & 3u))) >> 24) * KV_SCALE(S, (i) >> 5u))
#elif defined(KV_FP8)
#define KV_LOAD(B, S, i) (fp8e4m3((KV_WORD(B, (i) >> 2u) >> (8u * ((i) & 3u))) & 0xFFu) * KV_SCALE(S, (i) >> 5u))
#else
#error "no KV_<TYPE> defined"
#endif

#ifdef KV_READ8
// LOAD8(B, S, e, v): values e .. e + 7 of a cache (e a multiple of 8) into
// float v[8], read through a R32G32B32A32_UINT texel view B (S: the block
// scales of the byte formats), as KV_LOAD reads each: one texel fetch for
// eight values (lavapipe fetches a texel in a call that loads lane by lane).
#if defined(KV_F32) || defined(KV_F16)
void load8(usamplerBuffer B, uint e, out float v[8]) {
#if defined(KV_F32)
    uvec4 a = texelFetch(B, int(e >> 2)), b = texelFetch(B, int((e >> 2) + 1u));
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        v[w] = uintBitsToFloat(a[w]);
        v[4u + w] = uintBitsToFloat(b[w]);
    }
#else
    uvec4 a = texelFetch(B, int(e >> 3));
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        vec2 h = unpackHalf2x16(a[w]);
        v[2u * w] = h.x;
        v[2u * w + 1u] = h.y;
    }
#endif
}
#define LOAD8(B, S, e, v) load8(B, e, v)
#else // one byte a value: half a texel, and the block's scale
void load8(usamplerBuffer B, samplerBuffer S, uint e, out float v[8]) {
    uvec4 a = texelFetch(B, int(e >> 4));
    uint w0 = (e >> 3) & 1u;
    float scale = KV_SCALE(S, e >> 5);
    [[unroll]] for (uint w = 0u; w < 2u; ++w) {
        uint word = w0 == 0u ? a[w] : a[2u + w];
        [[unroll]] for (uint b = 0u; b < 4u; ++b) {
#if defined(KV_Q8_0)
            v[4u * w + b] = float(int(word << (24u - 8u * b)) >> 24) * scale;
#else
            v[4u * w + b] = fp8e4m3((word >> (8u * b)) & 0xFFu) * scale;
#endif
        }
    }
}
#define LOAD8(B, S, e, v) load8(B, S, e, v)
#endif
#endif

// The CPU's floatToFp8E4M3 (core/quant/fp8.cpp), step for step.
uint fp8encode(float f) {
    if (isnan(f)) return 0x7Fu;
    uint sgn = f < 0.0 || (f == 0.0 && floatBitsToUint(f) != 0u) ? 0x80u : 0u;
    float a = abs(f);
    if (a >= 448.0) return sgn | 0x7Eu;
    int e;
    frexp(a, e);
    int ex = e - 1 + 7;
    float stp = ex <= 0 ? exp2(-9.0) : exp2(float(e - 1 - 3));
    precise float rounded = roundEven(a / stp) * stp;
    if (rounded == 0.0) return sgn;
    int e2;
    frexp(rounded, e2);
    int ex2 = e2 - 1 + 7;
    uint code;
    if (ex2 <= 0) code = uint(int(rounded / exp2(-9.0)));
    else code = uint((ex2 << 3) | int(round((rounded / exp2(float(e2 - 1)) - 1.0) * 8.0)));
    return sgn | min(code, 0x7Eu);
}

// roundf: halves away from zero, exactly.
float roundAway(float x) {
    float t = trunc(x);
    return abs(x - t) >= 0.5 ? t + sign(x) : t;
}
