#version 450
// Activations quantized to Q8_0 blocks (int8 + F16 scale per 32, as
// quantizeQ8Blocks on the CPU) for the integer-dot matmuls, one invocation per
// (token, block), optionally fused with what produces them:
//   PRE_NORM:   RMSNorm with gain first (each invocation sums its row's squares
//               in the reference's order; rows are short next to a matmul)
//   PRE_SWIGLU: silu(gate) * up from fused gate|up rows first
// Quants and block metadata as common/q8_block.glsl writes them.
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
#include "common/q8_block.glsl"

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
    storeQ8Block(blk, v);
}
