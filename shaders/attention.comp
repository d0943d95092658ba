#version 450
// Causal grouped-query attention (prefill) for a chunk of p.tokens queries
// (rows p.firstToken.. of the batch; the engine runs a long prompt chunk by
// chunk, so the scores buffer holds one chunk's rows, not the prompt's),
// tiled over queries: one invocation per (tile of QT consecutive query tokens,
// head), so every K and V value fetched serves QT queries. Per query: scores over the cache up to its
// position (the last p.window of them on a local layer), soft-capped where the
// model caps them, softmax, weighted sum of V, each sum in the reference's order.
// The caches and their scales are read as texels (SIMD gathers on lavapipe).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/activations.glsl"
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

#define QT 4u

void main() {
    uint tiles = (p.tokens + QT - 1u) / QT;
    uint id = gl_GlobalInvocationID.x;
    if (id >= tiles * p.heads) return;
    uint tile = id / p.heads, h = id % p.heads;
    uint kvh = h / (p.heads / p.kvHeads);
    uint kvDim = p.kvHeads * p.headDim;
    uint tq[QT], pos[QT], so[QT], first[QT];
    bool live[QT];
    [[unroll]] for (uint k = 0u; k < QT; ++k) {
        live[k] = tile * QT + k < p.tokens;
        uint local = min(tile * QT + k, p.tokens - 1u); // dead lanes of a ragged last tile repeat its last query
        tq[k] = p.firstToken + local;
        pos[k] = p.pos0 + tq[k];
        so[k] = (local * p.heads + h) * p.capacity;
        first[k] = p.window != 0u && pos[k] + 1u > p.window ? pos[k] + 1u - p.window : 0u;
    }
    uint start = first[0]; // positions grow along the tile (dead lanes repeat the last query)
    uint last = pos[QT - 1u];
    float qr[QT][256]; // the queries, rounded as the cache rounds them (an F16 cache multiplies in F16, as ggml)
    [[unroll]] for (uint k = 0u; k < QT; ++k)
        for (uint i = 0u; i < p.headDim; ++i) {
            precise float v = q[tq[k] * p.qStride + h * p.headDim + i] * p.qScale;
#ifdef KV_F16
            v = roundHalfRte(v);
#endif
            qr[k][i] = v;
        }
    float mx[QT];
    [[unroll]] for (uint k = 0u; k < QT; ++k) mx[k] = -3.0e38;
    for (uint j = start; j <= last; ++j) {
        precise float dot[QT];
        [[unroll]] for (uint k = 0u; k < QT; ++k) dot[k] = 0.0;
        for (uint i = 0u; i < p.headDim; ++i) {
            float kv = KV_LOAD(K, KS, j * kvDim + kvh * p.headDim + i);
            [[unroll]] for (uint k = 0u; k < QT; ++k) dot[k] += qr[k][i] * kv;
        }
        [[unroll]] for (uint k = 0u; k < QT; ++k)
            if (j <= pos[k] && j >= first[k] && live[k]) {
                float d = dot[k] * p.scale;
                if (p.softcap > 0.0) d = softcapRef(d, p.softcap);
                sc[so[k] + j] = d;
                mx[k] = max(mx[k], d);
            }
    }
    float inv[QT];
    [[unroll]] for (uint k = 0u; k < QT; ++k) {
        if (!live[k]) continue;
        precise REDUCE_T sum = 0.0;
        for (uint j = first[k]; j <= pos[k]; ++j) {
            float e = expRef(sc[so[k] + j] - mx[k]);
            sc[so[k] + j] = e;
            sum += e;
        }
        inv[k] = float(1.0 / sum);
    }
    // weighted sums of V, position by position (the reference's order for each output)
    float acc[QT][256];
    [[unroll]] for (uint k = 0u; k < QT; ++k)
        for (uint i = 0u; i < p.headDim; ++i) acc[k][i] = 0.0;
    for (uint j = start; j <= last; ++j) {
        float a[QT];
        bool use[QT];
        [[unroll]] for (uint k = 0u; k < QT; ++k) {
            use[k] = live[k] && j <= pos[k] && j >= first[k];
            precise float ak = use[k] ? sc[so[k] + j] * inv[k] : 0.0;
#ifdef KV_F16
            ak = roundHalfRte(ak);
#endif
            a[k] = ak;
        }
        for (uint i = 0u; i < p.headDim; ++i) {
            float v = KV_LOAD(V, VS, j * kvDim + kvh * p.headDim + i);
            [[unroll]] for (uint k = 0u; k < QT; ++k)
                if (use[k]) {
                    precise float y = acc[k][i] + a[k] * v;
                    acc[k][i] = y;
                }
        }
    }
    [[unroll]] for (uint k = 0u; k < QT; ++k)
        if (live[k])
            for (uint i = 0u; i < p.headDim; ++i) o[tq[k] * p.heads * p.headDim + h * p.headDim + i] = acc[k][i];
}
