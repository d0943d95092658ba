#version 450
// Appends `tokens` rows of K and V, read from the fused qkv rows, to a layer's
// caches at pos0 (F16-rounded for an F16 cache).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) buffer KCache { float K[]; };
layout(binding = 2) buffer VCache { float V[]; };
layout(push_constant) uniform PC { KvStorePush p; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.tokens * p.kvDim) return;
    uint t = i / p.kvDim, j = i % p.kvDim;
    float k = X[t * p.rowStride + p.kOffset + j];
    float v = X[t * p.rowStride + p.kOffset + p.kvDim + j];
    if (p.f16 != 0u) {
        k = roundHalfRte(k);
        v = roundHalfRte(v);
    }
    K[p.pos0 * p.kvDim + i] = k;
    V[p.pos0 * p.kvDim + i] = v;
}
