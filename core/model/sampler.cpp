#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

namespace qb {

int argmax(const float* x, int n) { return int(std::max_element(x, x + n) - x); }

Sampler::Sampler(SamplerParams params) : m_params(params), m_rng(params.seed) {}

int Sampler::sample(const float* logits, int vocabSize, const std::vector<int>& history) {
    std::vector<float> l(logits, logits + vocabSize);

    // repetition penalty (as llama.cpp: divide positive logits, multiply negative ones)
    if (m_params.repeatPenalty != 1.0f && m_params.repeatLastN != 0) {
        const size_t from = m_params.repeatLastN < 0 || size_t(m_params.repeatLastN) >= history.size()
                                ? 0 : history.size() - size_t(m_params.repeatLastN);
        std::unordered_set<int> seen(history.begin() + long(from), history.end());
        for (int id : seen) {
            if (id < 0 || id >= vocabSize) continue;
            l[size_t(id)] = l[size_t(id)] > 0 ? l[size_t(id)] / m_params.repeatPenalty : l[size_t(id)] * m_params.repeatPenalty;
        }
    }
    if (m_params.temperature <= 0.0f) return argmax(l.data(), vocabSize);

    // candidates sorted by logit, descending
    std::vector<int> ids(static_cast<size_t>(vocabSize));
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return l[size_t(a)] > l[size_t(b)]; });
    if (m_params.topK > 0 && m_params.topK < vocabSize) ids.resize(size_t(m_params.topK));

    // temperature + softmax over the candidates
    std::vector<double> p(ids.size());
    const double maxLogit = l[size_t(ids[0])];
    double sum = 0;
    for (size_t i = 0; i < ids.size(); ++i) sum += p[i] = std::exp((l[size_t(ids[i])] - maxLogit) / m_params.temperature);
    for (double& x : p) x /= sum;

    // top-p: smallest prefix whose mass reaches topP
    size_t keep = p.size();
    if (m_params.topP < 1.0f) {
        double cum = 0;
        for (size_t i = 0; i < p.size(); ++i) {
            cum += p[i];
            if (cum >= m_params.topP) { keep = i + 1; break; }
        }
    }
    // min-p: drop candidates below minP * best
    if (m_params.minP > 0.0f) {
        size_t k = 1;
        while (k < keep && p[k] >= m_params.minP * p[0]) ++k;
        keep = k;
    }
    std::discrete_distribution<size_t> pick(p.begin(), p.begin() + long(keep));
    return ids[pick(m_rng)];
}

} // namespace qb
