#version 450
// Appends `tokens` rows of K or V to a layer's cache at pos0 (F16-rounded for an F16 cache).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) buffer Cache { float C[]; };
layout(push_constant) uniform PC { KvStorePush p; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.tokens * p.kvDim) return;
    float v = X[i];
    if (p.f16 != 0u) v = roundHalfRte(v);
    C[p.pos0 * p.kvDim + i] = v;
}
