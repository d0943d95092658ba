#version 450
// Causal grouped-query attention, one invocation per (query token, head):
// scores over the cache up to the token's position, softmax, weighted sum of V.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer KCache { uint K[]; };
layout(binding = 2) readonly buffer VCache { uint V[]; };
layout(binding = 3) readonly buffer KScales { float KS[]; };
layout(binding = 4) readonly buffer VScales { float VS[]; };
layout(binding = 5) buffer Scores { float sc[]; };
layout(binding = 6) writeonly buffer Out { float o[]; };
layout(push_constant) uniform PC { AttentionPush p; };



void main() {
    uint id = gl_GlobalInvocationID.x;
    if (id >= p.tokens * p.heads) return;
    uint t = id / p.heads, h = id % p.heads;
    uint pos = p.pos0 + t;
    uint kvh = h / (p.heads / p.kvHeads);
    uint kvDim = p.kvHeads * p.headDim;
    uint qo = t * p.qStride + h * p.headDim;
    uint oo = t * p.heads * p.headDim + h * p.headDim;
    uint so = id * p.capacity;
    float mx = -3.0e38;
    for (uint j = 0u; j <= pos; ++j) {
        precise float dot = 0.0;
        for (uint i = 0u; i < p.headDim; ++i) {
#ifdef KV_F16
            float qi = roundHalfRte(q[qo + i]); // an F16 cache multiplies in F16, as ggml
#else
            float qi = q[qo + i];
#endif
            dot += qi * KV_LOAD(K, KS, j * kvDim + kvh * p.headDim + i);
        }
        dot *= p.scale;
        sc[so + j] = dot;
        mx = max(mx, dot);
    }
#ifdef NO_FLOAT64
    precise float sum = 0.0;
#else
    precise double sum = 0.0;
#endif
    for (uint j = 0u; j <= pos; ++j) {
        float e = expRef(sc[so + j] - mx);
        sc[so + j] = e;
        sum += e;
    }
    float inv = float(1.0 / sum);
    for (uint i = 0u; i < p.headDim; ++i) {
        precise float acc = 0.0;
        for (uint j = 0u; j <= pos; ++j) {
            precise float a = sc[so + j] * inv;
#ifdef KV_F16
            a = roundHalfRte(a);
#endif
            acc += a * KV_LOAD(V, VS, j * kvDim + kvh * p.headDim + i);
        }
        o[oo + i] = acc;
    }
}
