#version 450
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 weights times Q8_0-quantized activations
// (act_q8_0.comp; with their Q8_1 sums), ggml's integer formulation: per
// 32-block an exact integer sum (common/q8_dot.glsl, SWAR or OpSDot), then the
// block's term in ggml's order for the type (BLOCK_TERM), block after block,
// as integerDotRow on the CPU (bit-identical). One invocation computes ROWS rows
// for TOKENS tokens (1 for decode, 4 for prefill); neighbouring invocations
// read neighbouring rows of the [block][row] repacked weights. No barrier, no
// shared memory: the shape lavapipe rewards.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/q8_dot.glsl"
layout(local_size_x_id = 0) in;
// Inputs are uniform texel buffers (R32G32B32A32_UINT, R32G32B32A32_SFLOAT,
// R32G32_SFLOAT): lavapipe fetches texels with SIMD gathers, while it loads
// storage buffers lane by lane.
layout(binding = 0) uniform usamplerBuffer Q;  // repacked quants (then Q5's fifth bits, 4 blocks of a row per texel)
layout(binding = 1) uniform usamplerBuffer XQ; // activation quants
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) uniform samplerBuffer D;   // weight block scales, 4 blocks of a row per texel (then Q4_1 / Q5_1 mins)
layout(binding = 4) uniform samplerBuffer XM;  // activation block scale, quant sum, Q8_1 sum
layout(push_constant) uniform PC { MatmulPush p; };

#define ROWS 4u
#ifndef TOKENS
#define TOKENS 1u
#endif

void store(uint t, uint row, float acc) {
    if (row >= p.rows) return;
    uint yi = t * p.yStride + p.yOffset + row;
    if (p.accumulate != 0u) {
        precise float sum = Y[yi] + acc;
        Y[yi] = sum;
    } else {
        Y[yi] = acc;
    }
}

void main() {
    uint r0 = gl_GlobalInvocationID.x * ROWS;
    uint t0 = gl_GlobalInvocationID.y * TOKENS;
    if (r0 >= p.rows || t0 >= p.tokens) return;
    uint nb = p.cols / 32u;
    uint xb[TOKENS];
    [[unroll]] for (uint t = 0u; t < TOKENS; ++t) xb[t] = min(t0 + t, p.tokens - 1u) * nb; // extra lanes repeat the last token
    precise float acc[ROWS * TOKENS];
    [[unroll]] for (uint i = 0u; i < ROWS * TOKENS; ++i) acc[i] = 0.0;
    uint aux = auxSlots(p.rows, p.cols);
    vec4 d4[ROWS];
#ifdef W_HAS_MIN
    vec4 m4[ROWS];
#endif
#ifdef W_HAS_HIGH
    uvec4 h4[ROWS];
#endif
    for (uint b = 0u; b < nb; ++b) {
        if ((b & 3u) == 0u)
            [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
                uint slot = auxSlot(b, min(r0 + r, p.rows - 1u), p.rows);
                d4[r] = texelFetch(D, int(slot));
#ifdef W_HAS_MIN
                m4[r] = texelFetch(D, int(aux + slot));
#endif
#ifdef W_HAS_HIGH
                h4[r] = texelFetch(Q, int(nb * p.rows + slot));
#endif
            }
        XPrep xp[TOKENS];
        vec4 xm[TOKENS];
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
            uint x[X_WORDS];
            loadX(XQ, xb[t] + b, x);
            xp[t] = prepareX(x);
            xm[t] = texelFetch(XM, int(xb[t] + b));
        }
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            uvec4 q, q1;
            loadBlock(Q, b * p.rows + min(r0 + r, p.rows - 1u), q, q1);
#ifdef W_HAS_HIGH
            q1.x = h4[r][b & 3u];
#endif
#ifdef W_HAS_MIN
            float m = m4[r][b & 3u];
#else
            float m = 0.0;
#endif
            float d = d4[r][b & 3u];
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) acc[r * TOKENS + t] += BLOCK_TERM(blockDot(q, q1, xp[t], xm[t].y), d, m, xm[t]);
        }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            if (t0 + t < p.tokens) store(t0 + t, r0 + r, acc[r * TOKENS + t]);
}
