#version 450
// Rotary position embedding in place: one invocation per (token, head), all
// its pairs (lavapipe pays a few microseconds a workgroup: fat invocations).
// The angles' cos/sin come from a table [token][pair][2] that the host
// computes with the reference's own code, so every backend rotates alike.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) buffer Data { float D[]; };
layout(binding = 1) readonly buffer Angles { float A[]; };
layout(push_constant) uniform PC { RopePush p; };

void main() {
    uint hf = p.headDim / 2u;
    uint id = gl_GlobalInvocationID.x;
    if (id >= p.tokens * p.heads) return;
    uint h = id % p.heads, t = id / p.heads;
    uint base = t * p.rowStride + p.offset + h * p.headDim;
    for (uint i = 0u; i < hf; ++i) {
        float c = A[(t * hf + i) * 2u], s = A[(t * hf + i) * 2u + 1u];
        uint a = p.neox != 0u ? base + i : base + 2u * i;
        uint b = p.neox != 0u ? base + i + hf : base + 2u * i + 1u;
        float x0 = D[a], x1 = D[b];
        precise float ra = x0 * c - x1 * s;
        precise float rb = x0 * s + x1 * c;
        D[a] = ra;
        D[b] = rb;
    }
}
