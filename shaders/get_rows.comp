#version 450
// Embedding lookup: out[t] = dequantized row ids[t] of W (any type).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) uniform usamplerBuffer Wt; // R32G32B32A32_UINT texels (reach past maxStorageBufferRange)
#define WWORD(i) texelFetch(Wt, int((i) >> 2))[(i) & 3u]
layout(binding = 1) readonly buffer Ids { uint ids[]; };
layout(binding = 2) writeonly buffer Output { float Y[]; };
layout(binding = 3) readonly buffer RowScale { float S[]; };
layout(push_constant) uniform PC { GetRowsPush p; };
#include "common/weights.glsl"

void main() {
    uint t = gl_GlobalInvocationID.y;
    uint c0 = gl_GlobalInvocationID.x * 32u;
    if (t >= p.tokens || c0 >= p.cols) return;
    uint row = ids[t];
    uint rowOff = row * p.rowBytes;
#ifdef W_PLAIN
    for (uint c = c0; c < min(c0 + 32u, p.cols); ++c) {
        float v = welement(rowOff, c);
#if defined(W_I8_CH) || defined(W_F8_E4M3_CH)
        v *= S[row];
#endif
        Y[t * p.cols + c] = v;
    }
#else
    float v[32];
    dequant32(rowOff, c0 / 32u, v);
    for (uint e = 0u; e < 32u; ++e) Y[t * p.cols + c0 + e] = v[e];
#endif
}
