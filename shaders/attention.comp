#version 450
// Causal grouped-query attention (prefill) for a chunk of p.tokens queries
// (rows p.firstToken.. of the batch; the engine runs a long prompt chunk by
// chunk, so the scores buffer holds one chunk's rows, not the prompt's),
// tiled over queries: one invocation per (tile of QT consecutive query tokens,
// head), so every K and V value fetched serves QT queries. Per query: scores over the cache up to its
// position (the last p.window of them on a local layer), soft-capped where the
// model caps them, softmax, weighted sum of V, each sum in the reference's order.
// The caches are read eight values at a time as 16-byte texels (lavapipe
// fetches a texel in a call that loads lane by lane: one call for eight values,
// not eight), and every array indexed in the inner loops has fixed indices
// (lavapipe gathers and scatters lane by lane for a private array indexed at
// run time): Q·K for blocks of KB keys x 8 dimensions, then V's weighted sums
// eight dimensions at a time, each over the keys in order.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
#include "common/reduce.glsl"
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/activations.glsl"
#define KV_SCALE(S, i) texelFetch(S, int(i)).x
#define KV_READ8 // LOAD8: the caches eight values a texel
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) uniform usamplerBuffer K; // R32G32B32A32_UINT
layout(binding = 2) uniform usamplerBuffer V;
layout(binding = 3) uniform samplerBuffer KS;  // R32_SFLOAT
layout(binding = 4) uniform samplerBuffer VS;
layout(binding = 5) buffer Scores { float sc[]; };
layout(binding = 6) writeonly buffer Out { float o[]; };
layout(push_constant) uniform PC { AttentionPush p; };

#define QT 4u
#define KB 8u // keys a Q·K block

void main() {
    uint tiles = (p.tokens + QT - 1u) / QT;
    uint id = gl_GlobalInvocationID.x;
    if (id >= tiles * p.heads) return;
    uint tile = id / p.heads, h = id % p.heads;
    uint kvh = h / (p.heads / p.kvHeads);
    uint kvDim = p.kvHeads * p.headDim, kvOff = kvh * p.headDim;
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
    // scores: each dot over the dimensions in order, KB keys at a time
    float mx[QT];
    [[unroll]] for (uint k = 0u; k < QT; ++k) mx[k] = -3.0e38;
    for (uint jb = start; jb <= last; jb += KB) {
        precise float dot[QT][KB];
        [[unroll]] for (uint k = 0u; k < QT; ++k)
            [[unroll]] for (uint jj = 0u; jj < KB; ++jj) dot[k][jj] = 0.0;
        for (uint i0 = 0u; i0 < p.headDim; i0 += 8u) {
            float qv[QT][8];
            [[unroll]] for (uint k = 0u; k < QT; ++k)
                [[unroll]] for (uint e = 0u; e < 8u; ++e) qv[k][e] = qr[k][i0 + e];
            [[unroll]] for (uint jj = 0u; jj < KB; ++jj) {
                float kv[8];
                LOAD8(K, KS, min(jb + jj, last) * kvDim + kvOff + i0, kv); // keys past the last repeat it (unused)
                [[unroll]] for (uint e = 0u; e < 8u; ++e)
                    [[unroll]] for (uint k = 0u; k < QT; ++k) dot[k][jj] += qv[k][e] * kv[e];
            }
        }
        [[unroll]] for (uint jj = 0u; jj < KB; ++jj) {
            uint j = jb + jj;
            [[unroll]] for (uint k = 0u; k < QT; ++k)
                if (j <= pos[k] && j >= first[k] && live[k]) {
                    float d = dot[k][jj] * p.scale;
                    if (p.softcap > 0.0) d = softcapRef(d, p.softcap);
                    sc[so[k] + j] = d;
                    mx[k] = max(mx[k], d);
                }
        }
    }
    // softmax; the scores become the weights V is summed with (rounded to F16 for an F16 cache, as ggml)
    [[unroll]] for (uint k = 0u; k < QT; ++k) {
        if (!live[k]) continue;
        precise REDUCE_T sum = 0.0;
        for (uint j = first[k]; j <= pos[k]; ++j) {
            float e = expRef(sc[so[k] + j] - mx[k]);
            sc[so[k] + j] = e;
            sum += e;
        }
        float inv = float(1.0 / sum);
        for (uint j = first[k]; j <= pos[k]; ++j) {
            precise float a = sc[so[k] + j] * inv;
#ifdef KV_F16
            a = roundHalfRte(a);
#endif
            sc[so[k] + j] = a;
        }
    }
    // weighted sums of V, eight dimensions at a time, position by position (the reference's order for each output)
    for (uint i0 = 0u; i0 < p.headDim; i0 += 8u) {
        float acc[QT][8];
        [[unroll]] for (uint k = 0u; k < QT; ++k)
            [[unroll]] for (uint e = 0u; e < 8u; ++e) acc[k][e] = 0.0;
        for (uint j = start; j <= last; ++j) {
            float a[QT];
            bool use[QT];
            [[unroll]] for (uint k = 0u; k < QT; ++k) {
                use[k] = live[k] && j <= pos[k] && j >= first[k];
                a[k] = use[k] ? sc[so[k] + j] : 0.0;
            }
            float v[8];
            LOAD8(V, VS, j * kvDim + kvOff + i0, v);
            [[unroll]] for (uint e = 0u; e < 8u; ++e)
                [[unroll]] for (uint k = 0u; k < QT; ++k) {
                    precise float y = acc[k][e] + a[k] * v[e];
                    acc[k][e] = use[k] ? y : acc[k][e];
                }
        }
        [[unroll]] for (uint k = 0u; k < QT; ++k)
            if (live[k])
                [[unroll]] for (uint e = 0u; e < 8u; ++e) o[tq[k] * p.heads * p.headDim + h * p.headDim + i0 + e] = acc[k][e];
    }
}
