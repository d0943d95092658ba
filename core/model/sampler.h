#pragma once
// Next-token choice from logits: greedy at temperature 0, otherwise
// repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw.
// Deterministic for a given seed.
#include <cstdint>
#include <random>
#include <vector>

namespace qb {

struct SamplerParams {
    float temperature = 0.8f; // 0 = greedy
    int topK = 40;            // 0 = off
    float topP = 0.95f;       // 1 = off
    float minP = 0.05f;       // 0 = off
    float repeatPenalty = 1.0f; // 1 = off
    int repeatLastN = 64;
    uint64_t seed = 0;
};

class Sampler {
public:
    explicit Sampler(SamplerParams params);
    // `history`: tokens so far (for the repetition penalty).
    int sample(const float* logits, int vocabSize, const std::vector<int>& history);
    const SamplerParams& params() const { return m_params; }

private:
    SamplerParams m_params;
    std::mt19937_64 m_rng;
};

int argmax(const float* x, int n);

} // namespace qb
