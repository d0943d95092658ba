#version 450
// RMSNorm with the gain folded in: y = x / sqrt(mean(x^2) + eps) * w, one
// invocation per token. The sum of squares is in double (as the reference and
// ggml) unless compiled with NO_FLOAT64 for devices without it.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/reduce.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) readonly buffer Gain { float G[]; };
layout(binding = 2) writeonly buffer Output { float Y[]; };
layout(push_constant) uniform PC { NormPush p; };

void main() {
    uint t = gl_GlobalInvocationID.x;
    if (t >= p.tokens) return;
    uint o = (t + p.firstToken) * p.dim, oy = t * p.dim;
#define ROW(i) X[o + (i)]
    float scale;
    RMS_SCALE(scale, ROW, p.dim, p.eps)
    for (uint i = 0u; i < p.dim; ++i) {
        precise float y = X[o + i] * scale * G[i];
        Y[oy + i] = y;
    }
}
