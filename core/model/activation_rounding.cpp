#include "model/activation_rounding.h"

#include "model/block_dot.h"
#include "model/kquant_dot.h"

#include "common/half.h"

#include <cmath>
#include <algorithm>
#include <cstring>

namespace qb {

namespace {

// Q8_0 / Q8_1 blocks of 32: d = amax/127 stored as F16, q = round(x * 127/amax)
// (x86 ggml rounds half to even here, as _mm256_round_ps does).
void roundQ8_0(const float* x, float* out, int64_t n) {
    Q8Blocks blocks;
    quantizeQ8Blocks(x, n, blocks);
    for (int64_t i = 0; i < n; ++i) out[i] = float(blocks.q[size_t(i)]) * blocks.d[size_t(i / 32)];
}

// Q8_K blocks of 256 (quantizeQ8KBlocks): scale from the signed value of
// largest magnitude, F32 d; the value each quant stands for is q * d.
void roundQ8_K(const float* x, float* out, int64_t n) {
    Q8KBlocks blocks;
    quantizeQ8KBlocks(x, n, blocks);
    for (int64_t i = 0; i < n; ++i) out[i] = float(blocks.q[size_t(i)]) * blocks.d[size_t(i / 256)];
}

} // namespace

ActivationRounding activationRounding(GgmlType t, bool staticInputScale) {
    switch (t) {
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::Q8_0:
        return ActivationRounding::Q8_0;
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
        return ActivationRounding::Q8_K;
    case GgmlType::F16: return ActivationRounding::F16;
    case GgmlType::BF16: return ActivationRounding::BF16;
    case GgmlType::QB_I8_CH: return staticInputScale ? ActivationRounding::I8Static : ActivationRounding::I8Dynamic;
    case GgmlType::F32:
    case GgmlType::QB_F8_E4M3_CH: // weight-only FP8: activations stay F32
        return ActivationRounding::None;
    }
    return ActivationRounding::None;
}

const char* activationRoundingName(ActivationRounding r) {
    switch (r) {
    case ActivationRounding::None: return "";
    case ActivationRounding::Q8_0: return "q8_0";
    case ActivationRounding::Q8_K: return "q8_k";
    case ActivationRounding::F16: return "f16";
    case ActivationRounding::BF16: return "bf16";
    case ActivationRounding::I8Dynamic: return "i8_dyn";
    case ActivationRounding::I8Static: return "i8_static";
    }
    return "";
}

int64_t activationRoundingSpan(ActivationRounding r, int64_t cols) {
    switch (r) {
    case ActivationRounding::Q8_0: return 32;
    case ActivationRounding::Q8_K: return 256;
    case ActivationRounding::I8Dynamic: case ActivationRounding::I8Static: return cols;
    default: return 1;
    }
}

void roundActivationsFor(GgmlType weightType, const float* x, float* out, int64_t n) {
    switch (activationRounding(weightType)) {
    case ActivationRounding::Q8_0: roundQ8_0(x, out, n); return;
    case ActivationRounding::Q8_K: roundQ8_K(x, out, n); return;
    case ActivationRounding::F16:
        for (int64_t i = 0; i < n; ++i) out[i] = halfToFloat(floatToHalf(x[i]));
        return;
    case ActivationRounding::BF16:
        for (int64_t i = 0; i < n; ++i) out[i] = bf16ToFloat(floatToBf16(x[i]));
        return;
    case ActivationRounding::I8Dynamic: { // per-token int8
        float amax = 0;
        for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
        const float s = amax / 127.0f;
        for (int64_t i = 0; i < n; ++i) out[i] = s > 0 ? std::nearbyint(x[i] / s) * s : 0.0f;
        return;
    }
    case ActivationRounding::I8Static: // needs the tensor's scale: see the Tensor overload
    case ActivationRounding::None:
        std::memcpy(out, x, size_t(n) * sizeof(float));
        return;
    }
}

void roundActivationsFor(const Tensor& w, const float* x, float* out) {
    if (w.type == GgmlType::QB_I8_CH && w.inputScale) { // static: calibrated scale, clamped to the int8 range
        const float s = *w.inputScale;
        for (int64_t i = 0; i < w.cols(); ++i) out[i] = s > 0 ? std::clamp(std::nearbyint(x[i] / s), -127.0f, 127.0f) * s : 0.0f;
        return;
    }
    roundActivationsFor(w.type, x, out, w.cols());
}

} // namespace qb
