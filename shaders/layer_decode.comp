#version 450
// One whole transformer layer for one token (decode) in a single dispatch of
// one workgroup, for models whose layers are small: the ~8 dispatches of the
// general path each cost more on lavapipe (thread wake-ups, barriers) than
// all of this layer's arithmetic. Phases, separated by workgroup barriers:
//   RMSNorm -> q|k|v (+bias) -> attention (RoPE, cache append) -> wo + residual
//   -> RMSNorm -> silu(gate) * up -> down + residual
// Each phase spreads rows (or heads) over the invocations and computes every
// value exactly as the general kernels do (same rounding of activations to
// the weight type, same accumulation order), so results are bit-identical.
// Weights are F32, F16 or BF16 (W_<TYPE>), all four matrices of one type.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/reduce.glsl"
#define LAYER_DECODE_MAX_WIDTH 1024u // dim, ffn and heads * headDim at most this (the engine checks)
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/activations.glsl"
#define KV_WORD(B, i) texelFetch(B, int(i)).x
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) uniform usamplerBuffer Wqkv;
layout(binding = 1) uniform usamplerBuffer Wo;
layout(binding = 2) uniform usamplerBuffer Wgu;
layout(binding = 3) uniform usamplerBuffer Wdown;
layout(binding = 4) uniform samplerBuffer AttnNorm;
layout(binding = 5) uniform samplerBuffer FfnNorm;
layout(binding = 6) uniform samplerBuffer Bias;
layout(binding = 7) uniform samplerBuffer Angles;
layout(binding = 8) coherent buffer Residual { float X[]; };
layout(binding = 9) coherent buffer Scratch { float S[]; };
layout(binding = 10) coherent buffer KCache { uint K[]; };
layout(binding = 11) coherent buffer VCache { uint V[]; };
layout(binding = 12) coherent buffer Scores { float sc[]; };
layout(binding = 13) uniform usamplerBuffer Kt; // the caches again, read as R32_UINT texels
layout(binding = 14) uniform usamplerBuffer Vt;
#define K_READ Kt
#define V_READ Vt
layout(push_constant) uniform PC { LayerPush p; };

// element c of the weight row at byte rowOff
#if defined(W_F32)
#define WEL(T, rowOff, c) uintBitsToFloat(texelFetch(T, int(((rowOff) >> 2) + (c))).x)
float roundAct(float x) { return x; }
#elif defined(W_F16)
#define WEL(T, rowOff, c) unpackHalf2x16(texelFetch(T, int(((rowOff) >> 2) + ((c) >> 1))).x)[(c) & 1u]
float roundAct(float x) { return roundHalfRte(x); }
#elif defined(W_BF16)
#define WEL(T, rowOff, c) uintBitsToFloat(((texelFetch(T, int(((rowOff) >> 2) + ((c) >> 1))).x >> (16u * ((c) & 1u))) & 0xFFFFu) << 16)
float roundAct(float x) { return roundBf16Rte(x); }
#else
#error "no W_<TYPE> defined"
#endif

// The phase's input vector, copied once per invocation from the scratch
// buffer: lavapipe reads private arrays as SIMD vectors but storage buffers
// lane by lane, and each invocation computes several rows.
float xv[LAYER_DECODE_MAX_WIDTH];
void loadInput(uint xOff, uint cols) {
    for (uint c = 0u; c < cols; ++c) xv[c] = S[xOff + c];
}

#define ROW_DOT(NAME, T) \
    float NAME(uint rowOff, uint cols) { \
        precise float acc = 0.0; \
        for (uint c = 0u; c < cols; ++c) acc += WEL(T, rowOff, c) * xv[c]; \
        return acc; \
    }
ROW_DOT(dotQkv, Wqkv)
ROW_DOT(dotWo, Wo)
ROW_DOT(dotGu, Wgu)
ROW_DOT(dotDown, Wdown)

// scratch layout: normed input | q|k|v | attention output | ffn hidden
uint oXB() { return 0u; }
uint oQKV() { return max(p.dim, p.ffn); }
uint oATT() { return oQKV() + p.qDim + 2u * p.kvDim; }
uint oH() { return oATT() + p.qDim; }

#define QKV(i) S[oQKV() + (i)]
#define ANGLE(i) texelFetch(Angles, int(i)).x
#define SC(i) sc[i]
#define SC_SET(i, v) sc[i] = (v)
#define OUT_SET(i, v) S[oATT() + (i)] = roundAct(v)
#include "common/attend_decode.glsl"

void sync() {
    memoryBarrierBuffer();
    barrier();
}

// RMSNorm of the residual into the scratch input, rounded for the weights
#define RESIDUAL(i) X[i]
#define NORM_INTO_XB(GAIN) \
    { \
        float scale; \
        RMS_SCALE(scale, RESIDUAL, p.dim, p.eps) \
        for (uint i = lid; i < p.dim; i += n) { \
            precise float y = X[i] * scale * texelFetch(GAIN, int(i)).x; \
            S[oXB() + i] = roundAct(y); \
        } \
    }

void main() {
    uint lid = gl_LocalInvocationID.x, n = gl_WorkGroupSize.x;
    uint qkvRows = p.qDim + 2u * p.kvDim;
    NORM_INTO_XB(AttnNorm)
    sync();
    loadInput(oXB(), p.dim);
    for (uint r = lid; r < qkvRows; r += n) {
        float acc = dotQkv(r * p.qkvRowBytes, p.dim);
        if (p.hasBias != 0u) {
            precise float b = acc + texelFetch(Bias, int(r)).x;
            acc = b;
        }
        S[oQKV() + r] = acc;
    }
    sync();
    for (uint h = lid; h < p.heads; h += n) attendDecode(h, p.heads, p.kvHeads, p.headDim, p.pos, p.capacity, p.scale, 1.0, p.neox != 0u, 0u, 0u, 0u, 0.0); // (not chosen for query-pre-scaled, windowed or capped models)
    sync();
    loadInput(oATT(), p.qDim);
    for (uint r = lid; r < p.dim; r += n) {
        precise float y = X[r] + dotWo(r * p.woRowBytes, p.qDim);
        X[r] = y;
    }
    sync();
    NORM_INTO_XB(FfnNorm)
    sync();
    loadInput(oXB(), p.dim);
    for (uint r = lid; r < p.ffn; r += n) {
        float g = dotGu(r * p.gateUpRowBytes, p.dim);
        float u = dotGu((p.ffn + r) * p.gateUpRowBytes, p.dim);
        S[oH() + r] = roundAct(siluTimes(g, u));
    }
    sync();
    loadInput(oH(), p.ffn);
    for (uint r = lid; r < p.dim; r += n) {
        precise float y = X[r] + dotDown(r * p.downRowBytes, p.ffn);
        X[r] = y;
    }
}
