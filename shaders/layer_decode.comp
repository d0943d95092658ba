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
// Each matrix has its own type (p.types, a byte each: LAYER_F32 ..), as in
// llama-quantize's mixes: F32, F16, BF16 (raw rows, activations rounded to the
// type) or Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 ([block][row] repacked quants with
// their scales, mins and fifth bits, vk/repack.h; activations quantized to
// Q8_0 blocks with Q8_1 sums, ggml's integer dot and block terms as
// matmul_q.comp: integer block sums, exact here in float as |sum| < 2^24).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#define LAYER_DECODE_MAX_WIDTH 1024u // dim, ffn and heads * headDim at most this (the engine checks)
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/activations.glsl"
#define KV_READ8 // LOAD8 reads the caches eight values a texel
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
layout(binding = 13) uniform usamplerBuffer Kt; // the caches again, read as R32G32B32A32_UINT texels
layout(binding = 14) uniform usamplerBuffer Vt;
layout(binding = 15) uniform samplerBuffer Sqkv; // block scales (and mins) of the block types' matrices (unused for the others)
layout(binding = 16) uniform samplerBuffer Swo;
layout(binding = 17) uniform samplerBuffer Sgu;
layout(binding = 18) uniform samplerBuffer Sdown;
#define K_READ Kt
#define V_READ Vt
layout(push_constant) uniform PC { LayerPush p; };

#define LAYER_F32 0u
#define LAYER_F16 1u
#define LAYER_BF16 2u
#define LAYER_Q4_0 3u
#define LAYER_Q8_0 4u
#define LAYER_Q4_1 5u
#define LAYER_Q5_0 6u
#define LAYER_Q5_1 7u
bool blockType(uint type) { return type >= LAYER_Q4_0; } // 32-value blocks, integer dots
uint typeOf(uint m) { return (p.types >> (8u * m)) & 255u; } // m: 0 q|k|v, 1 wo, 2 gate|up, 3 down

// The phase's input vector, copied once per invocation from the scratch
// buffer (lavapipe reads private arrays as SIMD vectors but storage buffers
// lane by lane, and each invocation computes several rows), rounded as the
// matrix's dot product rounds it: to F16 / BF16, or Q8_0 blocks (xv holds the
// quants, xd the block scales, xs the Q8_1 sums).
float xv[LAYER_DECODE_MAX_WIDTH];
float xd[LAYER_DECODE_MAX_WIDTH / 32u];
float xs[LAYER_DECODE_MAX_WIDTH / 32u];
void loadInput(uint xOff, uint cols, uint type) {
    if (blockType(type)) {
        for (uint b = 0u; b < cols / 32u; ++b) {
            float amax = 0.0;
            for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(S[xOff + b * 32u + j]));
            float id = amax != 0.0 ? 127.0 / amax : 0.0, qsum = 0.0;
            for (uint j = 0u; j < 32u; ++j) {
                xv[b * 32u + j] = roundEven(S[xOff + b * 32u + j] * id);
                qsum += xv[b * 32u + j]; // integers: exact
            }
            precise float d = amax / 127.0, s = qsum * d;
            xd[b] = roundHalfRte(d);
            xs[b] = roundHalfRte(s);
        }
        return;
    }
    for (uint c = 0u; c < cols; ++c) {
        float x = S[xOff + c];
        xv[c] = type == LAYER_F16 ? roundHalfRte(x) : type == LAYER_BF16 ? roundBf16Rte(x) : x;
    }
}

// Row r (of `rows`) of a matrix times the loaded input, in the reference's order.
#define ROW_DOT(NAME, T, D, M) \
    float NAME(uint r, uint rows, uint rowBytes, uint cols) { \
        uint type = typeOf(M); \
        precise float acc = 0.0; \
        if (blockType(type)) { \
            bool q8 = type == LAYER_Q8_0, high = type == LAYER_Q5_0 || type == LAYER_Q5_1; \
            uint words = q8 ? 8u : 4u, nb = cols / 32u, aux = rows * ((nb + 3u) / 4u) * 4u; \
            int offset = type == LAYER_Q4_0 ? 8 : type == LAYER_Q5_0 ? 16 : 0; \
            for (uint b = 0u; b < nb; ++b) { \
                uint w0 = (b * rows + r) * words, at = ((b >> 2) * rows + r) * 4u + (b & 3u); \
                uint qh = high ? texelFetch(T, int(nb * rows * 4u + at)).x : 0u; /* fifth bits after the quants */ \
                float s = 0.0; /* the block's integer sum, exact */ \
                for (uint i = 0u; i < words; ++i) { \
                    uint w = texelFetch(T, int(w0 + i)).x; \
                    for (uint k = 0u; k < 4u; ++k) { \
                        uint byte = (w >> (8u * k)) & 255u, j = 4u * i + k; \
                        if (q8) { \
                            s += float(int(byte << 24) >> 24) * xv[b * 32u + j]; \
                        } else { \
                            int lo = int((byte & 15u) | (((qh >> j) & 1u) << 4)) - offset; \
                            int hi = int((byte >> 4) | (((qh >> (j + 16u)) & 1u) << 4)) - offset; \
                            s += float(lo) * xv[b * 32u + j] + float(hi) * xv[b * 32u + j + 16u]; \
                        } \
                    } \
                } \
                float d = texelFetch(D, int(at)).x; /* ggml's block term for the type (common/q8_dot.glsl BLOCK_TERM) */ \
                if (type == LAYER_Q4_0) acc += s * d * xd[b]; \
                else if (q8) acc += s * (d * xd[b]); \
                else if (type == LAYER_Q5_0) acc += (d * xd[b]) * s; \
                else acc += (d * xd[b]) * s + texelFetch(D, int(aux + at)).x * xs[b]; \
            } \
        } else { \
            uint rowOff = r * rowBytes; \
            for (uint c = 0u; c < cols; ++c) { \
                uint word = texelFetch(T, int((rowOff >> 2) + (type == LAYER_F32 ? c : c >> 1))).x; \
                float w = type == LAYER_F32 ? uintBitsToFloat(word) \
                        : type == LAYER_F16 ? unpackHalf2x16(word)[c & 1u] \
                        : uintBitsToFloat(((word >> (16u * (c & 1u))) & 0xFFFFu) << 16); \
                acc += w * xv[c]; \
            } \
        } \
        return acc; \
    }
ROW_DOT(dotQkv, Wqkv, Sqkv, 0u)
ROW_DOT(dotWo, Wo, Swo, 1u)
ROW_DOT(dotGu, Wgu, Sgu, 2u)
ROW_DOT(dotDown, Wdown, Sdown, 3u)

// scratch layout: normed input | q|k|v | attention output | ffn hidden
uint oXB() { return 0u; }
uint oQKV() { return max(p.dim, p.ffn); }
uint oATT() { return oQKV() + p.qDim + 2u * p.kvDim; }
uint oH() { return oATT() + p.qDim; }

#define QKV(i) S[oQKV() + (i)]
#define ANGLE(i) texelFetch(Angles, int(i)).x
#define SC(i) sc[i]
#define SC_SET(i, v) sc[i] = (v)
#define OUT_SET(i, v) S[oATT() + (i)] = (v)
#include "common/attend_decode.glsl"

void sync() {
    memoryBarrierBuffer();
    barrier();
}

// RMSNorm of the residual into the scratch input
#define RESIDUAL(i) X[i]
#define NORM_INTO_XB(GAIN) \
    { \
        float scale; \
        RMS_SCALE(scale, RESIDUAL, p.dim, p.eps) \
        for (uint i = lid; i < p.dim; i += n) { \
            precise float y = X[i] * scale * texelFetch(GAIN, int(i)).x; \
            S[oXB() + i] = y; \
        } \
    }

void main() {
    uint lid = gl_LocalInvocationID.x, n = gl_WorkGroupSize.x;
    uint qkvRows = p.qDim + 2u * p.kvDim;
    NORM_INTO_XB(AttnNorm)
    sync();
    loadInput(oXB(), p.dim, typeOf(0u));
    for (uint r = lid; r < qkvRows; r += n) {
        float acc = dotQkv(r, qkvRows, p.qkvRowBytes, p.dim);
        if (p.hasBias != 0u) {
            precise float b = acc + texelFetch(Bias, int(r)).x;
            acc = b;
        }
        S[oQKV() + r] = acc;
    }
    sync();
    for (uint h = lid; h < p.heads; h += n) attendDecode(h, p.heads, p.kvHeads, p.headDim, p.pos, p.capacity, p.scale, 1.0, p.neox != 0u, 0u, 0u, 0u, 0.0); // (not chosen for query-pre-scaled, windowed or capped models)
    sync();
    loadInput(oATT(), p.qDim, typeOf(1u));
    for (uint r = lid; r < p.dim; r += n) {
        precise float y = X[r] + dotWo(r, p.dim, p.woRowBytes, p.qDim);
        X[r] = y;
    }
    sync();
    NORM_INTO_XB(FfnNorm)
    sync();
    loadInput(oXB(), p.dim, typeOf(2u));
    for (uint r = lid; r < p.ffn; r += n) {
        float g = dotGu(r, 2u * p.ffn, p.gateUpRowBytes, p.dim);
        float u = dotGu(p.ffn + r, 2u * p.ffn, p.gateUpRowBytes, p.dim);
        S[oH() + r] = siluTimes(g, u);
    }
    sync();
    loadInput(oH(), p.ffn, typeOf(3u));
    for (uint r = lid; r < p.dim; r += n) {
        precise float y = X[r] + dotDown(r, p.dim, p.downRowBytes, p.ffn);
        X[r] = y;
    }
}
