#version 450
// RMSNorm with the gain folded in: y = x / sqrt(mean(x^2) + eps) * w, one
// invocation per token. The sum of squares is in double (as the reference and
// ggml) unless compiled with NO_FLOAT64 for devices without it.
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
    uint o = (t + p.firstToken) * p.dim, oy = t * p.dim;
#ifdef NO_FLOAT64
    precise float sum = 0.0;
    for (uint i = 0u; i < p.dim; ++i) sum += X[o + i] * X[o + i];
    float mean = sum / float(p.dim);
#else
    precise double sum = 0.0;
    for (uint i = 0u; i < p.dim; ++i) sum += double(X[o + i]) * double(X[o + i]);
    float mean = float(sum / double(p.dim));
#endif
    float scale = 1.0 / sqrt(mean + p.eps);
    for (uint i = 0u; i < p.dim; ++i) {
        precise float y = X[o + i] * scale * G[i];
        Y[oy + i] = y;
    }
}
