#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace qb {

namespace {

// The dimension at which a frequency turns `rotations` times over the original
// context: n_dims * ln(n_ctx_orig / (rotations * 2 pi)) / (2 ln base), in floats as ggml.
float yarnCorrectionDim(int dims, int originalContext, float rotations, float base) {
    return float(dims) * std::log(float(originalContext) / (rotations * 2.0f * float(M_PI))) / (2.0f * std::log(base));
}

} // namespace

RopeAngles::RopeAngles(const ModelConfig& c, int contextLength) {
    m_pairs = c.headDim / 2;
    m_thetaScale = std::pow(c.ropeFreqBase, -2.0f / float(c.headDim));
    m_freqScale = c.ropeFreqScale;
    m_mscale = c.ropeAttnFactor;
    // llama.cpp's choice: rope_freqs if the model has them, else LongRoPE's long
    // divisors when the run's context exceeds the original one, else its short ones
    if (!c.ropeFreqFactors.empty()) m_divisors = c.ropeFreqFactors;
    else if (!c.ropeFactorsLong.empty()) m_divisors = contextLength > c.ropeOriginalContext() ? c.ropeFactorsLong : c.ropeFactorsShort;
    if (c.ropeYarn) {
        m_extFactor = 1.0f;
        const int orig = c.ropeOriginalContext();
        m_corrLow = std::max(0.0f, std::floor(yarnCorrectionDim(c.headDim, orig, kYarnBetaFast, c.ropeFreqBase)));
        m_corrHigh = std::min(float(c.headDim - 1), std::ceil(yarnCorrectionDim(c.headDim, orig, kYarnBetaSlow, c.ropeFreqBase)));
        // the magnitude correction for interpolation, on top of the attention factor
        m_mscale *= 1.0f + 0.1f * std::log(1.0f / m_freqScale);
    }
}

void RopeAngles::at(int pos, float* cosOut, float* sinOut) const {
    const bool divide = !m_divisors.empty();
    float theta = float(pos);
    for (int i = 0; i < m_pairs; ++i) {
        const float extrapolated = divide ? theta / m_divisors[size_t(i)] : theta;
        const float interpolated = m_freqScale * extrapolated;
        float angle = interpolated;
        if (m_extFactor != 0.0f) {
            // YaRN: low pairs (fast rotations) keep their angle, high ones are scaled, a linear ramp between
            const float y = (float(i) - m_corrLow) / std::max(0.001f, m_corrHigh - m_corrLow);
            const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * m_extFactor;
            angle = interpolated * (1.0f - mix) + extrapolated * mix;
        }
        cosOut[i] = std::cos(angle) * m_mscale;
        sinOut[i] = std::sin(angle) * m_mscale;
        theta *= m_thetaScale;
    }
}

} // namespace qb
