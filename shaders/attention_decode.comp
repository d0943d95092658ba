#version 450
// Decode step (one new token) in one dispatch for F32 and F16 caches: RoPE,
// the K/V cache append and attention (common/attend_decode.glsl), one
// invocation per query head. OUT_Q8 variants also write the output as the
// Q8_0 blocks the output projection's integer dot reads (common/q8_block.glsl,
// LAYOUT_PAIRS or LAYOUT_BYTES), in place of a separate act_q8_0 dispatch.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/activations.glsl"
#define KV_READ8 // LOAD8 reads the caches eight values a texel
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer QKV { float qkv[]; };
layout(binding = 1) buffer KCache { uint K[]; };
layout(binding = 2) buffer VCache { uint V[]; };
layout(binding = 3) buffer Scores { float sc[]; };
layout(binding = 4) writeonly buffer Out { float o[]; };
layout(binding = 5) readonly buffer Angles { float A[]; };
layout(binding = 6) uniform usamplerBuffer Kt; // the caches again, read as R32G32B32A32_UINT texels
layout(binding = 7) uniform usamplerBuffer Vt;
#ifdef OUT_Q8
layout(binding = 8) writeonly buffer Quants { uint XQ[]; };
layout(binding = 9) writeonly buffer Meta { vec4 XM[]; };
#include "common/q8_block.glsl"
#define OUT_Q8_BLOCK(blk, v) storeQ8Block(blk, v)
#endif
#define K_READ Kt
#define V_READ Vt
layout(push_constant) uniform PC { AttentionPush p; };

#define QKV(i) qkv[i]
#define ANGLE(i) A[i]
#define SC(i) sc[i]
#define SC_SET(i, v) sc[i] = (v)
#define OUT_SET(i, v) o[i] = (v)
#include "common/attend_decode.glsl"

void main() {
    uint h = gl_GlobalInvocationID.x;
    if (h >= p.heads) return;
    attendDecode(h, p.heads, p.kvHeads, p.headDim, p.pos0, p.capacity, p.scale, p.qScale, p.pad0 != 0u, 0u, 0u, p.window, p.softcap);
}
