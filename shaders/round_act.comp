#version 450
// Rounds activation rows the way ggml's CPU backend quantizes them for a dot
// with a given weight type, so Vulkan and the CPU reference agree:
// R_Q8_0 (32-blocks, F16 scale: Q4_1, Q5_0, Q5_1), R_F16, R_BF16,
// R_I8_DYN (int8 per token), R_I8_STATIC (int8 with the file's input scale).
#extension GL_GOOGLE_include_directive : require
#include "push_constants.h"
#include "common/half.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Input { float X[]; };
layout(binding = 1) writeonly buffer Output { float Y[]; };
layout(binding = 2) readonly buffer Scale { float inputScale[]; };
layout(push_constant) uniform PC { RoundPush p; };

void main() {
#if defined(R_Q8_0)
    const uint B = 32u;
    uint blocksPerRow = p.cols / B;
    uint blk = gl_GlobalInvocationID.x;
    if (blk >= blocksPerRow * p.tokens) return;
    uint o = (blk / blocksPerRow) * p.cols + (blk % blocksPerRow) * B;
    float amax = 0.0;
    for (uint j = 0u; j < B; ++j) amax = max(amax, abs(X[o + j]));
    float id = amax != 0.0 ? 127.0 / amax : 0.0;
    float dh = roundHalfRte(amax / 127.0);
    for (uint j = 0u; j < B; ++j) {
        precise float y = roundEven(X[o + j] * id) * dh;
        Y[o + j] = y;
    }
#elif defined(R_F16) || defined(R_BF16)
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.cols * p.tokens) return;
#if defined(R_F16)
    Y[i] = roundHalfRte(X[i]);
#else
    Y[i] = roundBf16Rte(X[i]);
#endif
#elif defined(R_I8_DYN) || defined(R_I8_STATIC)
    uint t = gl_GlobalInvocationID.x;
    if (t >= p.tokens) return;
    uint o = t * p.cols;
#if defined(R_I8_DYN)
    float amax = 0.0;
    for (uint c = 0u; c < p.cols; ++c) amax = max(amax, abs(X[o + c]));
    float s = amax / 127.0;
    for (uint c = 0u; c < p.cols; ++c) Y[o + c] = s > 0.0 ? roundEven(X[o + c] / s) * s : 0.0;
#else
    float s = inputScale[0];
    for (uint c = 0u; c < p.cols; ++c) Y[o + c] = s > 0.0 ? clamp(roundEven(X[o + c] / s), -127.0, 127.0) * s : 0.0;
#endif
#else
#error "no R_<MODE> defined"
#endif
}
