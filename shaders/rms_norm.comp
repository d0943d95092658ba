#version 450
// RMSNorm with the gain folded in: y = x / sqrt(mean(x^2) + eps) * w, one invocation per token.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) readonly buffer Gain { float G[]; };
layout(binding = 2) writeonly buffer Output { float Y[]; };
layout(push_constant) uniform PC { NormPush p; };

void main() {
    uint t = gl_GlobalInvocationID.x;
    if (t >= p.tokens) return;
    uint o = t * p.dim;
    float sum = 0.0;
    for (uint i = 0u; i < p.dim; ++i) sum += X[o + i] * X[o + i];
    float scale = 1.0 / sqrt(sum / float(p.dim) + p.eps);
    for (uint i = 0u; i < p.dim; ++i) Y[o + i] = X[o + i] * scale * G[i];
}
