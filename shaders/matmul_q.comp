#version 450
// Q4_0 / Q8_0 weights times Q8_0-quantized activations (act_q8_0.comp), ggml's
// integer formulation: per 32-block an exact integer sum (common/q8_dot.glsl,
// SWAR or OpSDot), then acc += (float(sumi) * d_w) * d_x block after block, as
// integerDotRow on the CPU (bit-identical). One invocation computes ROWS rows
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
layout(binding = 0) uniform usamplerBuffer Q;  // repacked quants
layout(binding = 1) uniform usamplerBuffer XQ; // activation quants
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) uniform samplerBuffer D;   // weight block scales, 4 blocks of a row per texel
layout(binding = 4) uniform samplerBuffer XM;  // activation block scale and quant sum
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
    vec4 d4[ROWS];
    for (uint b = 0u; b < nb; ++b) {
        if ((b & 3u) == 0u)
            [[unroll]] for (uint r = 0u; r < ROWS; ++r) d4[r] = texelFetch(D, int((b >> 2) * p.rows + min(r0 + r, p.rows - 1u)));
        XPrep xp[TOKENS];
        vec2 xm[TOKENS];
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
            uint x[X_WORDS];
            loadX(XQ, xb[t] + b, x);
            xp[t] = prepareX(x);
            xm[t] = texelFetch(XM, int(xb[t] + b)).xy;
        }
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            uvec4 q, q1;
            loadBlock(Q, b * p.rows + min(r0 + r, p.rows - 1u), q, q1);
            float d = d4[r][b & 3u];
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) acc[r * TOKENS + t] += float(blockDot(q, q1, xp[t], xm[t].y)) * d * xm[t].x;
        }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            if (t0 + t < p.tokens) store(t0 + t, r0 + r, acc[r * TOKENS + t]);
}
