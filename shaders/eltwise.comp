#version 450
// Element-wise ops: OP_ADD (a += b), OP_BIAS (a[i] += b[i % period]),
// OP_SWIGLU (a = silu(a) * b).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(push_constant) uniform PC { EltwisePush p; };

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.n) return;
#if defined(OP_ADD)
    a[i] += b[i];
#elif defined(OP_BIAS)
    a[i] += b[i % p.period];
#elif defined(OP_SWIGLU)
    float g = a[i];
    a[i] = g / (1.0 + exp(-g)) * b[i];
#else
#error "no OP_ defined"
#endif
}
