#pragma once
// exp() computed the same way on the CPU reference and in the Vulkan shaders
// (shaders/common/exp.glsl): Cody-Waite range reduction and a degree-7
// polynomial in plain float operations, so both sides get identical bits
// (within ~2 ulp of the true value). Libm's expf and a GPU's exp differ in
// the last bit, and through the F16 KV cache such bits grow into different
// greedy tokens.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace qb {

inline float expRef(float x) {
    if (x > 88.0f) return std::numeric_limits<float>::infinity();
    if (x < -87.0f) return 0.0f;
    const float n = std::nearbyint(x * 1.44269504088896341f);
    const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    return p * scale;
}

} // namespace qb
