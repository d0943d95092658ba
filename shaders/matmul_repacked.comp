#version 450
// Matrix x vector/matrix for Q4_0 and Q8_0 weights repacked at upload: each
// block's quants as 16-byte aligned uvec4 (one for Q4_0, two for Q8_0) and its
// scale as an F32 in a separate array, both ordered [block][row] so the
// invocations of a workgroup load consecutive memory. One invocation computes
// ROWS rows for TOKENS tokens (1 for decode, 4 for prefill), sharing each
// 16-byte activation load across the rows and each dequantized weight across
// the tokens.
// Same values and the same accumulation order as matmul.comp (bit-identical);
// scalar accumulators only (no dynamically indexed arrays, which lavapipe
// spills to memory).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Quants { uvec4 Q[]; };
layout(binding = 1) readonly buffer Input { vec4 X[]; };
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) readonly buffer Scales { float D[]; };
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
    uint xo[TOKENS];
    [[unroll]] for (uint t = 0u; t < TOKENS; ++t) xo[t] = min(t0 + t, p.tokens - 1u) * (p.cols / 4u); // extra lanes repeat the last token
    precise float acc[ROWS * TOKENS];
    [[unroll]] for (uint i = 0u; i < ROWS * TOKENS; ++i) acc[i] = 0.0;
    for (uint b = 0u; b < nb; ++b) {
        vec4 x[8 * TOKENS];
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            [[unroll]] for (uint i = 0u; i < 8u; ++i) x[t * 8u + i] = X[xo[t] + b * 8u + i];
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            uint row = min(r0 + r, p.rows - 1u);
            float d = D[b * p.rows + row];
#if defined(W_Q4_0)
            uvec4 q = Q[b * p.rows + row];
            [[unroll]] for (uint hi = 0u; hi < 2u; ++hi)      // low nibbles (elements 0..15), then high (16..31)
                [[unroll]] for (uint w = 0u; w < 4u; ++w)
                    [[unroll]] for (uint k = 0u; k < 4u; ++k) {
                        uint byte = (q[w] >> (8u * k)) & 0xFFu;
                        float v = float(int(hi == 0u ? (byte & 15u) : (byte >> 4)) - 8) * d;
                        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) acc[r * TOKENS + t] += v * x[t * 8u + hi * 4u + w][k];
                    }
#else
            [[unroll]] for (uint hi = 0u; hi < 2u; ++hi) {
                uvec4 q = Q[(b * p.rows + row) * 2u + hi];
                [[unroll]] for (uint w = 0u; w < 4u; ++w)
                    [[unroll]] for (uint k = 0u; k < 4u; ++k) {
                        float v = float(int(q[w] << (24u - 8u * k)) >> 24) * d;
                        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) acc[r * TOKENS + t] += v * x[t * 8u + hi * 4u + w][k];
                    }
            }
#endif
        }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            if (t0 + t < p.tokens) store(t0 + t, r0 + r, acc[r * TOKENS + t]);
}
