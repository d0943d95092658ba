#version 450
// Appends `tokens` rows of K and V, read from the fused qkv rows, to a layer's
// caches at pos0 in the cache's storage format (see common/kv.glsl), one
// invocation per 32 values of a row (a Q8_0 / FP8 block; lavapipe pays a few
// microseconds a workgroup: fat invocations).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
#include "common/kv.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) buffer KCache { uint K[]; };
layout(binding = 2) buffer VCache { uint V[]; };
layout(binding = 3) buffer KScales { float KS[]; };
layout(binding = 4) buffer VScales { float VS[]; };
layout(push_constant) uniform PC { KvStorePush p; };

float src(uint t, uint j, bool value) { return X[t * p.rowStride + p.kOffset + (value ? p.kvDim : 0u) + j]; }

#if defined(KV_Q8_0) || defined(KV_FP8)
void storeBlock(uint t, uint j0, bool value) {
    float amax = 0.0;
    for (uint e = 0u; e < 32u; ++e) amax = max(amax, abs(src(t, j0 + e, value)));
    uint base = ((p.pos0 + t) * p.kvDim + j0);
#if defined(KV_Q8_0)
    float d = amax / 127.0;
    float id = d != 0.0 ? 1.0 / d : 0.0;
    float scale = roundHalfRte(d);
#else
    float s = amax / 448.0;
    float scale = s;
#endif
    for (uint w = 0u; w < 8u; ++w) {
        uint word = 0u;
        for (uint k = 0u; k < 4u; ++k) {
            float x = src(t, j0 + w * 4u + k, value);
#if defined(KV_Q8_0)
            uint byte = uint(int(roundAway(x * id))) & 0xFFu;
#else
            uint byte = s > 0.0 ? fp8encode(x / s) : 0u;
#endif
            word |= byte << (8u * k);
        }
        if (value) V[base / 4u + w] = word; else K[base / 4u + w] = word;
    }
    if (value) VS[base / 32u] = scale; else KS[base / 32u] = scale;
}
#endif

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint blocks = (p.kvDim + 31u) / 32u;
    if (i >= p.tokens * blocks) return;
    uint t = i / blocks, j0 = (i % blocks) * 32u;
#if defined(KV_F32)
    for (uint j = j0; j < min(j0 + 32u, p.kvDim); ++j) {
        K[(p.pos0 + t) * p.kvDim + j] = floatBitsToUint(src(t, j, false));
        V[(p.pos0 + t) * p.kvDim + j] = floatBitsToUint(src(t, j, true));
    }
#elif defined(KV_F16)
    for (uint j = j0; j < min(j0 + 32u, p.kvDim); j += 2u) {
        uint o = ((p.pos0 + t) * p.kvDim + j) / 2u;
        K[o] = packHalf2x16(vec2(roundHalfRte(src(t, j, false)), roundHalfRte(src(t, j + 1u, false))));
        V[o] = packHalf2x16(vec2(roundHalfRte(src(t, j, true)), roundHalfRte(src(t, j + 1u, true))));
    }
#else
    storeBlock(t, j0, false);
    storeBlock(t, j0, true);
#endif
}
