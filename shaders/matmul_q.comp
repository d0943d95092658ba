#version 450
// Q4_0 / Q8_0 weights times Q8_0-quantized activations (act_q8_0.comp), ggml's
// integer formulation: per 32-block an exact integer sum, then
// acc += (float(sumi) * d_w) * d_x block after block, as integerDotRow on the
// CPU (bit-identical). Weights are repacked at upload: each block's quants as
// 16-byte aligned uvec4 (one for Q4_0, two for Q8_0) and its scale as F32,
// both ordered [block][row] so neighbouring invocations read neighbouring
// memory. One invocation computes ROWS rows for TOKENS tokens (1 for decode,
// 4 for prefill): no barrier, no shared memory (the shape lavapipe rewards).
// Inner products, by variant:
//   default (LAYOUT_PAIRS activations): SWAR. Four Q4_0 nibbles a, b masked
//     into 16-bit lanes times a pair word x[e1] + x[e0]*65536 give
//     a*x[e0] + b*x[e1] in bits 16..31; eight such products are summed before
//     the lanes are split (|low lane| < 2^15, the total fits an int32).
//   DOT4 (LAYOUT_BYTES): the device's 4x8-bit integer dot product (OpSDot).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#ifdef DOT4
#extension GL_EXT_spirv_intrinsics : require
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int sdot4(uint a, uint b, spirv_literal int packedVectorFormat4x8Bit);
#endif
#include "push_constants.h"
layout(local_size_x_id = 0) in;
// Inputs are uniform texel buffers (R32G32B32A32_UINT, R32_SFLOAT,
// R32G32_SFLOAT): lavapipe fetches texels with SIMD gathers, while it loads
// storage buffers lane by lane.
layout(binding = 0) uniform usamplerBuffer Q;  // repacked quants
layout(binding = 1) uniform usamplerBuffer XQ; // activation quants
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) uniform samplerBuffer D;   // weight block scales, 4 blocks of a row per texel
layout(binding = 4) uniform samplerBuffer XM;  // activation block scale and quant sum
layout(push_constant) uniform PC { MatmulPush p; };

#ifndef ROWS
#define ROWS 4u
#endif
#ifndef TOKENS
#define TOKENS 1u
#endif
#ifdef DOT4
#define XWORDS 8u  // LAYOUT_BYTES
#else
#define XWORDS 16u // LAYOUT_PAIRS
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

// bits 16..31 of a sum of lane products, the low lane's (|.| < 2^15) carry removed
int upperLane(uint acc) { return (int(acc) + 32768) >> 16; }

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
        uint x[XWORDS * TOKENS];
        vec2 xm[TOKENS];
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
            [[unroll]] for (uint i = 0u; i < XWORDS / 4u; ++i) {
                uvec4 v = texelFetch(XQ, int((xb[t] + b) * (XWORDS / 4u) + i));
                x[t * XWORDS + i * 4u] = v.x; x[t * XWORDS + i * 4u + 1u] = v.y;
                x[t * XWORDS + i * 4u + 2u] = v.z; x[t * XWORDS + i * 4u + 3u] = v.w;
            }
            xm[t] = texelFetch(XM, int(xb[t] + b)).xy;
        }
#if defined(W_Q8_0) && !defined(DOT4)
        int xi[32 * TOKENS]; // the pairs unpacked once, shared by the rows
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            [[unroll]] for (uint w = 0u; w < 4u; ++w) {
                const uint e0[4] = uint[](0u, 1u, 16u, 17u);
                [[unroll]] for (uint j = 0u; j < 4u; ++j) {
                    int lo = int(x[t * 16u + w * 4u + j] << 16) >> 16;
                    xi[t * 32u + 4u * w + e0[j] + 2u] = lo;
                    xi[t * 32u + 4u * w + e0[j]] = (int(x[t * 16u + w * 4u + j]) - lo) >> 16;
                }
            }
#endif
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            uint row = min(r0 + r, p.rows - 1u);
            float d = d4[r][b & 3u];
            int sumi[TOKENS];
#if defined(W_Q4_0)
            uvec4 q = texelFetch(Q, int(b * p.rows + row));
#if defined(DOT4)
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
                int s = 0;
                [[unroll]] for (uint w = 0u; w < 4u; ++w) {
                    s += sdot4(q[w] & 0x0F0F0F0Fu, x[t * 8u + w], 0);
                    s += sdot4((q[w] >> 4) & 0x0F0F0F0Fu, x[t * 8u + 4u + w], 0);
                }
                sumi[t] = s - 8 * int(xm[t].y);
            }
#else
            uint lanes[2 * TOKENS];
            [[unroll]] for (uint i = 0u; i < 2u * TOKENS; ++i) lanes[i] = 0u;
            [[unroll]] for (uint w = 0u; w < 4u; ++w) {
                const uint M = 0x000F000Fu;
                uint m0 = q[w] & M, m1 = (q[w] >> 8) & M, m2 = (q[w] >> 4) & M, m3 = (q[w] >> 12) & M;
                [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
                    uint base = t * 16u + w * 4u;
                    lanes[t * 2u + (w >> 1)] += m0 * x[base] + m1 * x[base + 1u] + m2 * x[base + 2u] + m3 * x[base + 3u];
                }
            }
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
                sumi[t] = upperLane(lanes[t * 2u]) + upperLane(lanes[t * 2u + 1u]) - 8 * int(xm[t].y);
#endif
#else // Q8_0
            uvec4 q0 = texelFetch(Q, int((b * p.rows + row) * 2u)), q1 = texelFetch(Q, int((b * p.rows + row) * 2u + 1u));
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
                int s = 0;
#if defined(DOT4)
                [[unroll]] for (uint w = 0u; w < 4u; ++w) s += sdot4(q0[w], x[t * 8u + w], 0) + sdot4(q1[w], x[t * 8u + 4u + w], 0);
#else
                [[unroll]] for (uint w = 0u; w < 4u; ++w)
                    [[unroll]] for (uint k = 0u; k < 4u; ++k)
                        s += (int(q0[w] << (24u - 8u * k)) >> 24) * xi[t * 32u + 4u * w + k] +
                             (int(q1[w] << (24u - 8u * k)) >> 24) * xi[t * 32u + 16u + 4u * w + k];
#endif
                sumi[t] = s;
            }
#endif
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) acc[r * TOKENS + t] += float(sumi[t]) * d * xm[t].x;
        }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            if (t0 + t < p.tokens) store(t0 + t, r0 + r, acc[r * TOKENS + t]);
}
