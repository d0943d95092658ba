#version 450
// Decode step (one new token) in one dispatch for F32 and F16 caches: RoPE on
// the token's q and k, the K/V cache append and causal GQA attention, one
// invocation per query head. The first head of each KV group writes the cache; every head uses its
// own (identical) rotated k and v for the newest position, so no invocation
// waits on another. Arithmetic matches rope/kv_store/attention exactly.
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
#include "common/exp.glsl"
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer QKV { float qkv[]; };
layout(binding = 1) buffer KCache { uint K[]; };
layout(binding = 2) buffer VCache { uint V[]; };
layout(binding = 3) buffer Scores { float sc[]; };
layout(binding = 4) writeonly buffer Out { float o[]; };
layout(binding = 5) readonly buffer Angles { float A[]; };
layout(push_constant) uniform PC { AttentionPush p; };

float rotated(uint base, uint idx) { // element idx of the rotated head at qkv[base..]
    uint hf = p.headDim / 2u;
    uint i, a, b;
    bool first;
    if (p.pad0 != 0u) { i = idx % hf; a = i; b = i + hf; first = idx < hf; } // NeoX
    else { i = idx / 2u; a = 2u * i; b = 2u * i + 1u; first = (idx & 1u) == 0u; }
    float c = A[i * 2u], s = A[i * 2u + 1u];
    float x0 = qkv[base + a], x1 = qkv[base + b];
    precise float r = first ? x0 * c - x1 * s : x0 * s + x1 * c;
    return r;
}

void main() {
    uint h = gl_GlobalInvocationID.x;
    if (h >= p.heads) return;
    uint groups = p.heads / p.kvHeads, kvh = h / groups;
    uint kvDim = p.kvHeads * p.headDim, qDim = p.heads * p.headDim;
    uint pos = p.pos0;
    uint qBase = h * p.headDim, kBase = qDim + kvh * p.headDim, vBase = qDim + kvDim + kvh * p.headDim;
    uint so = h * p.capacity;
    bool writer = h % groups == 0u;
    if (writer) {
#if defined(KV_F16)
        for (uint i = 0u; i < p.headDim; i += 2u) { // headDim is even; pairs never straddle heads
            uint o2 = (pos * kvDim + kvh * p.headDim + i) / 2u;
            K[o2] = packHalf2x16(vec2(roundHalfRte(rotated(kBase, i)), roundHalfRte(rotated(kBase, i + 1u))));
            V[o2] = packHalf2x16(vec2(roundHalfRte(qkv[vBase + i]), roundHalfRte(qkv[vBase + i + 1u])));
        }
#else
        for (uint i = 0u; i < p.headDim; ++i) {
            K[pos * kvDim + kvh * p.headDim + i] = floatBitsToUint(rotated(kBase, i));
            V[pos * kvDim + kvh * p.headDim + i] = floatBitsToUint(qkv[vBase + i]);
        }
#endif
    }
    // this token's rotated query (and key, value), rounded as the cache rounds them, once
    float qr[256], kr[256], vr[256];
    for (uint i = 0u; i < p.headDim; ++i) {
        qr[i] = rotated(qBase, i);
        kr[i] = rotated(kBase, i);
        vr[i] = qkv[vBase + i];
#ifdef KV_F16
        qr[i] = roundHalfRte(qr[i]);
        kr[i] = roundHalfRte(kr[i]);
        vr[i] = roundHalfRte(vr[i]);
#endif
    }
    float mx = -3.0e38;
    for (uint j = 0u; j <= pos; ++j) {
        precise float dot = 0.0;
        for (uint i = 0u; i < p.headDim; ++i) dot += qr[i] * (j == pos ? kr[i] : KV_LOAD(K, KS, j * kvDim + kvh * p.headDim + i));
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
            acc += a * (j == pos ? vr[i] : KV_LOAD(V, VS, j * kvDim + kvh * p.headDim + i));
        }
        o[qBase + i] = acc;
    }
}
