#version 450
// Element-wise ops: OP_ADD (a += b), OP_BIAS (a[i] += b[i % period]),
// OP_SWIGLU (a = silu(gate) * up from b's fused gate|up rows), OP_GEGLU (likewise
// with ggml's GELU table in binding 2), OP_SCALE (a *= factor), OP_SOFTCAP
// (a = factor * tanh(a / factor)).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/exp.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(push_constant) uniform PC { EltwisePush p; };
#ifdef OP_GEGLU
layout(binding = 2) readonly buffer GeluTable { float geluTable[]; };
#define GELU_TABLE(i) geluTable[i]
#endif
#include "common/activations.glsl"

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.n) return;
#if defined(OP_ADD)
    precise float y = a[i] + b[i];
    a[i] = y;
#elif defined(OP_BIAS)
    a[i] += b[i % p.period];
#elif defined(OP_SWIGLU)
    // a[t][j] = silu(gate) * up, from b's fused rows [t][gate (period) | up (period)]
    uint t = i / p.period, j = i % p.period;
    float g = b[t * 2u * p.period + j];
    a[i] = siluTimes(g, b[t * 2u * p.period + p.period + j]);
#elif defined(OP_GEGLU)
    uint t = i / p.period, j = i % p.period;
    precise float y = geluRef(b[t * 2u * p.period + j]) * b[t * 2u * p.period + p.period + j];
    a[i] = y;
#elif defined(OP_SCALE)
    precise float y = a[i] * p.factor;
    a[i] = y;
#elif defined(OP_SOFTCAP)
    a[i] = softcapRef(a[i], p.factor);
#else
#error "no OP_ defined"
#endif
}
