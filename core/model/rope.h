#pragma once
// Rotary position embedding's angles as ggml computes them (ggml_rope_ext:
// rope_yarn, ggml_rope_yarn_corr_dims), with every scaling llama.cpp applies:
// linear, Llama 3's per-pair divisors, YaRN, Phi-3's LongRoPE and the attention
// factor. Each backend rotates by the cos/sin this computes, so they agree bit
// for bit.
#include "model/config.h"

#include <vector>

namespace qb {

class RopeAngles {
public:
    // contextLength: the run's context (the KV cache's length); LongRoPE picks
    // its long divisors when it exceeds the model's original context.
    RopeAngles(const ModelConfig& config, int contextLength);

    // cos and sin of the angle of each of the headDim / 2 pairs at `pos`, both
    // already multiplied by the magnitude scale (1 unless YaRN or an attention factor).
    void at(int pos, float* cosOut, float* sinOut) const;

    int pairs() const { return m_pairs; }
    float magnitude() const { return m_mscale; }
    const std::vector<float>& divisors() const { return m_divisors; } // empty = none
    float correctionLow() const { return m_corrLow; }                 // YaRN's ramp: pairs below are extrapolated (unscaled),
    float correctionHigh() const { return m_corrHigh; }               // pairs above interpolated (scaled)

private:
    int m_pairs = 0;
    float m_thetaScale = 1.0f; // base^(-2/d): theta_i = pos * thetaScale^i, multiplied up as ggml does
    float m_freqScale = 1.0f;
    float m_extFactor = 0.0f;  // YaRN: 1
    float m_corrLow = 0.0f, m_corrHigh = 0.0f;
    float m_mscale = 1.0f;
    std::vector<float> m_divisors;
};

// YaRN's fixed hyper-parameters: llama.cpp's defaults, which no GGUF carries
// (every published YaRN model uses them).
constexpr float kYarnBetaFast = 32.0f;
constexpr float kYarnBetaSlow = 1.0f;

} // namespace qb
