#pragma once
// Activations whose bits the CPU reference and the Vulkan shaders share
// (shaders/common/activations.glsl): tanh built on the reference exp, and
// ggml's GELU, which the CPU backend reads from a table of F16 values.
#include "model/exp_ref.h"

#include <cmath>

namespace qb {

// tanh within ~2 ulp of libm's tanhf, in plain float operations: its Taylor series
// (to x^19) below 0.55, where 1 - 2 / (e^{2x} + 1) would cancel; that form above;
// the sign restored. (Gemma 2's soft-capped scores are sensitive to the last bits.)
inline float tanhRef(float x) {
    const float a = std::fabs(x);
    float t;
    if (a < 0.55f) {
        const float z = a * a;
        float p = -443861162.0f / 1856156927625.0f;
        p = p * z + 6404582.0f / 10854718875.0f;
        p = p * z + -929569.0f / 638512875.0f;
        p = p * z + 21844.0f / 6081075.0f;
        p = p * z + -1382.0f / 155925.0f;
        p = p * z + 62.0f / 2835.0f;
        p = p * z + -17.0f / 315.0f;
        p = p * z + 2.0f / 15.0f;
        p = p * z + -1.0f / 3.0f;
        t = a + a * (z * p);
    } else if (a > 9.0f) {
        t = 1.0f; // 1 - 3e-8 rounds to 1
    } else {
        const float e = expRef(2.0f * a);
        t = 1.0f - 2.0f / (e + 1.0f);
    }
    return x < 0 ? -t : t;
}

// Gemma 2's soft-cap as ggml computes it: scale by 1/cap, tanh, scale by cap.
inline float softcap(float x, float cap) { return tanhRef(x * (1.0f / cap)) * cap; }

// ggml_table_gelu_f16 as floats: for every F16 bit pattern h, gelu_tanh(h) rounded to F16.
const float* geluTableF16();
constexpr int kGeluTableSize = 65536;

// GELU (tanh form) as ggml's CPU backend applies it in GeGLU: 0 below -10, x above 10,
// otherwise the table at x rounded to F16.
float geluRef(float x);

} // namespace qb
