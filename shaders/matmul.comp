#version 450
// y[t][r] = sum_c W[r][c] * x[t][c]: one invocation per output row and group of
// TOKENS_PER_INVOCATION tokens, dequantizing W in registers (no barrier, no
// shared memory: the shape lavapipe rewards). x is already rounded to the
// weight's dot-product format by round_act.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
// weights and input as R32G32B32A32_UINT / R32G32B32A32_SFLOAT texel buffers
// (lavapipe fetches a texel in a call that loads lane by lane: the fewer
// fetches the better; 16-byte texels reach 16x maxTexelBufferElements bytes)
layout(binding = 0) uniform usamplerBuffer Wt;
layout(binding = 1) uniform samplerBuffer Xt;
#define WWORD(i) texelFetch(Wt, int((i) >> 2))[(i) & 3u]
#define X(i) texelFetch(Xt, int((i) >> 2))[(i) & 3u]
#define X4(i) texelFetch(Xt, int((i) >> 2)) // x[i .. i + 3], i a multiple of 4
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) readonly buffer RowScale { float S[]; }; // per-channel types; unused otherwise
layout(push_constant) uniform PC { MatmulPush p; };
#include "common/weights.glsl"

#define TOKENS_PER_INVOCATION 4u

void main() {
    uint row = gl_GlobalInvocationID.x;
    uint t0 = gl_GlobalInvocationID.y * TOKENS_PER_INVOCATION;
    if (row >= p.rows || t0 >= p.tokens) return;
    uint xo[TOKENS_PER_INVOCATION]; // extra lanes repeat the last token and store nothing
    [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t) xo[t] = min(t0 + t, p.tokens - 1u) * p.cols;
    // accumulated column by column in the reference's order, never fused into FMAs
    precise float acc[TOKENS_PER_INVOCATION] = float[](0.0, 0.0, 0.0, 0.0);
    uint rowOff = row * p.rowBytes;
#ifdef W_PLAIN
#if defined(W_F32)
    if (p.cols % 4u == 0u) { // whole 16-byte texels: four columns a fetch, of the weights and of each token's input
        for (uint c4 = 0u; c4 < p.cols / 4u; ++c4) {
            uvec4 w4 = texelFetch(Wt, int(rowOff / 16u + c4));
            [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t) {
                vec4 x4 = X4(xo[t] + c4 * 4u);
                [[unroll]] for (uint k = 0u; k < 4u; ++k) acc[t] += uintBitsToFloat(w4[k]) * x4[k];
            }
        }
    } else
#elif defined(W_F16) || defined(W_BF16)
    if (p.cols % 8u == 0u) { // rows of whole 16-byte texels: eight columns a weight fetch, four an input fetch
        for (uint c8 = 0u; c8 < p.cols / 8u; ++c8) {
            uvec4 w4 = texelFetch(Wt, int(rowOff / 16u + c8));
            float w[8];
            [[unroll]] for (uint k = 0u; k < 4u; ++k) {
#if defined(W_F16)
                vec2 h = unpackHalf2x16(w4[k]);
                w[2u * k] = h.x;
                w[2u * k + 1u] = h.y;
#else
                w[2u * k] = uintBitsToFloat(w4[k] << 16);
                w[2u * k + 1u] = uintBitsToFloat(w4[k] & 0xFFFF0000u);
#endif
            }
            [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t) {
                vec4 xa = X4(xo[t] + c8 * 8u), xb = X4(xo[t] + c8 * 8u + 4u);
                [[unroll]] for (uint k = 0u; k < 4u; ++k) acc[t] += w[k] * xa[k];
                [[unroll]] for (uint k = 0u; k < 4u; ++k) acc[t] += w[4u + k] * xb[k];
            }
        }
    } else
#endif
    for (uint c = 0u; c < p.cols; ++c) {
#if defined(W_I8_CH) || defined(W_F8_E4M3_CH)
        precise float w = welement(rowOff, c) * S[row]; // the row's scale on each weight, as the reference dequantizes
#else
        float w = welement(rowOff, c);
#endif
        [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t) acc[t] += w * X(xo[t] + c);
    }
#else
    float v[32];
    for (uint b = 0u; b < p.cols / 32u; ++b) {
        dequant32(rowOff, b, v);
        [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t)
            for (uint e = 0u; e < 32u; ++e) acc[t] += v[e] * X(xo[t] + b * 32u + e);
    }
#endif
    [[unroll]] for (uint t = 0u; t < TOKENS_PER_INVOCATION; ++t) {
        if (t0 + t >= p.tokens) break;
        uint yi = (t0 + t) * p.yStride + p.yOffset + row;
        if (p.accumulate != 0u) {
            precise float sum = Y[yi] + acc[t]; // the residual add, in the reference's order
            Y[yi] = sum;
        } else {
            Y[yi] = acc[t];
        }
    }
}
