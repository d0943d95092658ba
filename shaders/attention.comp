#version 450
// Causal grouped-query attention, one invocation per (query token, head):
// scores over the cache up to the token's position, softmax, weighted sum of V.
// The caches and their scales are read as texels (SIMD gathers on lavapipe).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
#include "common/exp.glsl"
#define KV_WORD(B, i) texelFetch(B, int(i)).x
#define KV_SCALE(S, i) texelFetch(S, int(i)).x
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) uniform usamplerBuffer K; // R32_UINT
layout(binding = 2) uniform usamplerBuffer V;
layout(binding = 3) uniform samplerBuffer KS;  // R32_SFLOAT
layout(binding = 4) uniform samplerBuffer VS;
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
    float qr[256]; // the query, rounded as the cache rounds it (an F16 cache multiplies in F16, as ggml)
    for (uint i = 0u; i < p.headDim; ++i) {
#ifdef KV_F16
        qr[i] = roundHalfRte(q[qo + i]);
#else
        qr[i] = q[qo + i];
#endif
    }
    float mx = -3.0e38;
    for (uint j = 0u; j <= pos; ++j) {
        precise float dot = 0.0;
        for (uint i = 0u; i < p.headDim; ++i) dot += qr[i] * KV_LOAD(K, KS, j * kvDim + kvh * p.headDim + i);
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
    // weighted sum of V, position by position (the reference's order for each output)
    float acc[256];
    for (uint i = 0u; i < p.headDim; ++i) acc[i] = 0.0;
    for (uint j = 0u; j <= pos; ++j) {
        precise float a = sc[so + j] * inv;
#ifdef KV_F16
        a = roundHalfRte(a);
#endif
        for (uint i = 0u; i < p.headDim; ++i) {
            precise float y = acc[i] + a * KV_LOAD(V, VS, j * kvDim + kvh * p.headDim + i);
            acc[i] = y;
        }
    }
    for (uint i = 0u; i < p.headDim; ++i) o[oo + i] = acc[i];
}
