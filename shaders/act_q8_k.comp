#version 450
// Activations quantized to Q8_K super-blocks of 256 (quantizeQ8KBlocks on the
// CPU) for the K-quant matmuls (matmul_k.comp), one workgroup of 8 lanes per
// (token, super-block), lane s the 32 values of sub-block s, optionally fused
// with what produces them, as act_q8_0.comp:
//   PRE_NORM: RMSNorm with gain first;  PRE_SWIGLU: silu(gate) * up first.
// The value of largest magnitude (sign kept, first on ties), the quants and
// their sums do not depend on how the work is split: the CPU's bits.
// Quants: 128 words a super-block, sub-block s at word 16s:
//   word 2w = x[4w+2] + x[4w]*65536, word 2w+1 = x[4w+3] + x[4w+1]*65536,
// the element pairs one 32-bit multiply meets when a weight word's four
// consecutive quants are masked into 16-bit lanes.
// Meta: 20 words a super-block: the 16 sums of 16 quants, then d (float bits), 0, 0, 0.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#include "common/exp.glsl"
#define LANES 8u // the workgroup size the engine dispatches with: one lane per sub-block
layout(local_size_x_id = 0) in;
// inputs as R32G32B32A32_SFLOAT texel buffers, four values a fetch (every offset is a multiple of 4)
layout(binding = 0) uniform samplerBuffer Xt;
layout(binding = 1) uniform samplerBuffer Gt;
#define X4(i) texelFetch(Xt, int((i) / 4u))
#define G4(i) texelFetch(Gt, int((i) / 4u))
layout(binding = 2) writeonly buffer Quants { uint XQ[]; };
layout(binding = 3) writeonly buffer Meta { uint XM[]; };
layout(push_constant) uniform PC { ActQuantPush p; };

shared float laneMax[LANES], laneMaxAbs[LANES];

void main() {
    uint nb = p.cols / 256u, blk = gl_WorkGroupID.x, lane = gl_LocalInvocationID.x;
    if (blk >= nb * p.tokens) return; // whole workgroups only
    uint t = blk / nb, b = blk % nb, o = (t + p.firstToken) * p.inStride, c0 = b * 256u + lane * 32u;
    float v[32];
#if defined(PRE_NORM)
    precise REDUCE_T sq = 0.0; // RMS_SCALE's sum, four values a fetch, in the reference's order
    for (uint i = 0u; i < p.cols; i += 4u) {
        vec4 x4 = X4(o + i);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) sq += REDUCE_T(x4[k]) * REDUCE_T(x4[k]);
    }
    float scale = 1.0 / sqrt(float(sq / REDUCE_T(p.cols)) + p.eps);
    [[unroll]] for (uint j = 0u; j < 32u; j += 4u) {
        vec4 x4 = X4(o + c0 + j), g4 = G4(c0 + j);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) {
            precise float y = x4[k] * scale * g4[k];
            v[j + k] = y;
        }
    }
#elif defined(PRE_SWIGLU)
    [[unroll]] for (uint j = 0u; j < 32u; j += 4u) {
        vec4 g4 = X4(o + c0 + j), u4 = X4(o + p.cols + c0 + j);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) v[j + k] = siluTimes(g4[k], u4[k]);
    }
#else
    [[unroll]] for (uint j = 0u; j < 32u; j += 4u) {
        vec4 x4 = X4(o + c0 + j);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) v[j + k] = x4[k];
    }
#endif
    float amax = 0.0, maxv = 0.0; // the value of largest magnitude, sign kept, first on ties
    [[unroll]] for (uint j = 0u; j < 32u; ++j)
        if (abs(v[j]) > amax) {
            amax = abs(v[j]);
            maxv = v[j];
        }
    laneMaxAbs[lane] = amax;
    laneMax[lane] = maxv;
    barrier();
    amax = 0.0;
    maxv = 0.0;
    [[unroll]] for (uint l = 0u; l < LANES; ++l)
        if (laneMaxAbs[l] > amax) {
            amax = laneMaxAbs[l];
            maxv = laneMax[l];
        }
    float iscale = amax != 0.0 ? -127.0 / maxv : 0.0;
    int q[32];
    [[unroll]] for (uint j = 0u; j < 32u; ++j) q[j] = min(127, int(roundEven(iscale * v[j])));
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        XQ[blk * 128u + lane * 16u + 2u * w] = uint(q[4u * w + 2u] + q[4u * w] * 65536);
        XQ[blk * 128u + lane * 16u + 2u * w + 1u] = uint(q[4u * w + 3u] + q[4u * w + 1u] * 65536);
    }
    [[unroll]] for (uint h = 0u; h < 2u; ++h) {
        int sum = 0;
        [[unroll]] for (uint j = 0u; j < 16u; ++j) sum += q[16u * h + j];
        XM[blk * 20u + 2u * lane + h] = uint(sum);
    }
    if (lane < 4u) XM[blk * 20u + 16u + lane] = lane == 0u ? floatBitsToUint(amax != 0.0 ? 1.0 / iscale : 0.0) : 0u;
}
