#include "model/activations.h"

#include "common/half.h"

#include <vector>

namespace qb {

const float* geluTableF16() {
    static const std::vector<float> table = [] {
        std::vector<float> t(kGeluTableSize);
        for (int i = 0; i < kGeluTableSize; ++i) {
            const float x = halfToFloat(uint16_t(i));
            // ggml_gelu_f32: 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))), libm's tanhf
            const float g = 0.5f * x * (1.0f + std::tanh(0.79788456080286535587989211986876f * x * (1.0f + 0.044715f * x * x)));
            t[size_t(i)] = halfToFloat(floatToHalf(g));
        }
        return t;
    }();
    return table.data();
}

float geluRef(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return geluTableF16()[floatToHalf(x)];
}

} // namespace qb
