#version 450
// Decode (one token) of Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 weights for GPUs: the same exact block
// dots as matmul_q.comp (common/q8_dot.glsl), spread so that all lanes of a
// workgroup work on few rows. A workgroup of 64 lanes computes 8 rows: lane
// l takes row r0 + l % 8 and every 8th block from l / 8, so each fetch reads
// 8 neighbouring rows' slots of 8 blocks ([block][row] order: 128-byte
// runs); the 8 partial sums of a row are added by subgroup shuffles, then
// across subgroups in shared memory, in a fixed order. The float sums are in
// a different order than the CPU's, so results agree to rounding, not bit
// for bit (the engine uses this variant on GPUs only, where occupancy needs it).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#include "push_constants.h"
#include "common/q8_dot.glsl"
layout(local_size_x = 64) in;
layout(binding = 0) uniform usamplerBuffer Q;
layout(binding = 1) uniform usamplerBuffer XQ;
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) uniform samplerBuffer D;
layout(binding = 4) uniform samplerBuffer XM;
layout(push_constant) uniform PC { MatmulPush p; };

#define WG_ROWS 8u
#define PHASES 8u // 64 lanes / 8 rows
shared float partial[PHASES][WG_ROWS];

void main() {
    // lane index within the workgroup, numbered subgroup by subgroup
    uint lane = gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID, r = lane % WG_ROWS, phase = lane / WG_ROWS;
    uint r0 = gl_WorkGroupID.x * WG_ROWS, row = min(r0 + r, p.rows - 1u);
    uint nb = p.cols / 32u;
    uint aux = auxSlots(p.rows, p.cols);
    float acc = 0.0;
    for (uint b = phase; b < nb; b += PHASES) {
        uint x[X_WORDS];
        loadX(XQ, b, x);
        XPrep xp = prepareX(x);
        vec4 xm = texelFetch(XM, int(b));
        uvec4 q, q1;
        loadBlock(Q, b * p.rows + row, q, q1);
        uint slot = auxSlot(b, row, p.rows);
#ifdef W_HAS_HIGH
        q1.x = texelFetch(Q, int(nb * p.rows + slot))[b & 3u];
#endif
#ifdef W_HAS_MIN
        float m = texelFetch(D, int(aux + slot))[b & 3u];
#else
        float m = 0.0;
#endif
        float d = texelFetch(D, int(slot))[b & 3u];
        acc += BLOCK_TERM(blockDot(q, q1, xp, xm.y), d, m, xm);
    }
    // lanes l and l ^ 8k hold the same row: fold within the subgroup first
    for (uint off = WG_ROWS; off < gl_SubgroupSize && off < 64u; off *= 2u) acc += subgroupShuffleXor(acc, off);
    uint lanesPerRowInSubgroup = max(1u, gl_SubgroupSize / WG_ROWS);
    if (phase % lanesPerRowInSubgroup == 0u) partial[phase / lanesPerRowInSubgroup][r] = acc;
    barrier();
    if (phase == 0u && r0 + r < p.rows) {
        float sum = 0.0;
        uint groups = PHASES / min(PHASES, lanesPerRowInSubgroup);
        for (uint g = 0u; g < groups; ++g) sum += partial[g][r];
        uint yi = p.yOffset + r0 + r;
        if (p.accumulate != 0u) Y[yi] += sum;
        else Y[yi] = sum;
    }
}
