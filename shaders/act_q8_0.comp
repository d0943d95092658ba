#version 450
// Activations quantized to Q8_0 blocks (int8 + F16 scale per 32, as
// quantizeQ8Blocks on the CPU) for the integer-dot matmuls, one invocation per
// (token, block), optionally fused with what produces them:
//   PRE_NORM:   RMSNorm with gain first (each invocation sums its row's squares
//               in the reference's order; rows are short next to a matmul)
//   PRE_SWIGLU: silu(gate) * up from fused gate|up rows first
// Quants are written in one of two layouts, 64 or 32 bytes a block:
//   LAYOUT_PAIRS: 16 words, word 4w+j = x[e1] + x[e0] * 65536 with (e0, e1) =
//     (4w, 4w+2), (4w+1, 4w+3), (4w+16, 4w+18), (4w+17, 4w+19) for j = 0..3:
//     the pairs a 32-bit multiply meets when the Q4_0 nibbles of weight word w
//     are masked into 16-bit lanes (matmul_q.comp, SWAR path)
//   LAYOUT_BYTES: 8 words of 4 int8 each, element order (integer dot product path)
// and the block's scale, the sum of its quants (for Q4_0's -8, Q5_0's -16) and
// Q8_1's s = F16(sum * amax / 127) (Q4_1 / Q5_1 mins) as a vec4.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#include "common/half.glsl"
#include "common/exp.glsl"
layout(local_size_x_id = 0) in;
// inputs as R32_SFLOAT texel buffers (SIMD gathers on lavapipe)
layout(binding = 0) uniform samplerBuffer Xt;
layout(binding = 1) uniform samplerBuffer Gt;
#define X(i) texelFetch(Xt, int(i)).x
#define G(i) texelFetch(Gt, int(i)).x
layout(binding = 2) writeonly buffer Quants { uint XQ[]; };
layout(binding = 3) writeonly buffer Meta { vec4 XM[]; };
layout(push_constant) uniform PC { ActQuantPush p; };

void main() {
    uint nb = p.cols / 32u, blk = gl_GlobalInvocationID.x;
    if (blk >= nb * p.tokens) return;
    uint t = blk / nb, b = blk % nb, o = (t + p.firstToken) * p.inStride;
    float v[32];
#if defined(PRE_NORM)
#define ROW(i) X(o + (i))
    float scale;
    RMS_SCALE(scale, ROW, p.cols, p.eps)
    [[unroll]] for (uint j = 0u; j < 32u; ++j) {
        precise float y = X(o + b * 32u + j) * scale * G(b * 32u + j);
        v[j] = y;
    }
#elif defined(PRE_SWIGLU)
    [[unroll]] for (uint j = 0u; j < 32u; ++j) {
        float g = X(o + b * 32u + j);
        v[j] = siluTimes(g, X(o + p.cols + b * 32u + j));
    }
#else
    [[unroll]] for (uint j = 0u; j < 32u; ++j) v[j] = X(o + b * 32u + j);
#endif
    float amax = 0.0;
    [[unroll]] for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(v[j]));
    float id = amax != 0.0 ? 127.0 / amax : 0.0;
    int q[32];
    int qsum = 0;
    [[unroll]] for (uint j = 0u; j < 32u; ++j) {
        q[j] = int(roundEven(v[j] * id));
        qsum += q[j];
    }
#if defined(LAYOUT_PAIRS)
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        uint base = blk * 16u + w * 4u;
        XQ[base + 0u] = uint(q[4u * w + 2u] + q[4u * w] * 65536);
        XQ[base + 1u] = uint(q[4u * w + 3u] + q[4u * w + 1u] * 65536);
        XQ[base + 2u] = uint(q[4u * w + 18u] + q[4u * w + 16u] * 65536);
        XQ[base + 3u] = uint(q[4u * w + 19u] + q[4u * w + 17u] * 65536);
    }
#else
    [[unroll]] for (uint w = 0u; w < 8u; ++w)
        XQ[blk * 8u + w] = (uint(q[4u * w]) & 255u) | ((uint(q[4u * w + 1u]) & 255u) << 8) | ((uint(q[4u * w + 2u]) & 255u) << 16) |
                           (uint(q[4u * w + 3u]) << 24);
#endif
    precise float d = amax / 127.0, s = float(qsum) * d;
    XM[blk] = vec4(roundHalfRte(d), float(qsum), roundHalfRte(s), 0.0);
}
