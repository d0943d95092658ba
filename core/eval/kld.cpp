#include "eval/kld.h"

#include "common/error.h"
#include "model/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace qb {

namespace {

struct Sums {
    double nll = 0, nll2 = 0, nllBase = 0, nllBase2 = 0, nllNllBase = 0;
    double kld = 0, kld2 = 0, dp = 0, dp2 = 0, dp4 = 0, dpMax = 0;
    size_t sameTop = 0, count = 0;
};

// mean and its standard error from a sum and a sum of squares (llama-perplexity's mean_and_uncertainty)
std::pair<double, double> meanAndStderr(double sum, double sum2, size_t n) {
    const double mean = sum / double(n);
    const double var = sum2 / double(n) - mean * mean;
    return {mean, n > 1 ? std::sqrt(std::max(0.0, var) / double(n - 1)) : 0.0};
}

void checkSameVocabulary(const Model& base, const Model& variant) {
    if (base.config.vocabSize != variant.config.vocabSize)
        throw fileError(variant.path, "vocabulary of " + std::to_string(variant.config.vocabSize) + " tokens, expected the base model's " +
                                          std::to_string(base.config.vocabSize) + " (" + base.path + ")");
    if (base.vocab && variant.vocab && base.vocab->tokens != variant.vocab->tokens)
        throw fileError(variant.path, "tokenizer.ggml.tokens differ from the base model's (" + base.path +
                                          "): KL-divergence needs the same vocabulary");
}

} // namespace

double klDivergence(const float* b, const LogSoftmaxNorm& nb, const float* q, const LogSoftmaxNorm& nq, int n) {
    double kld = 0;
    for (int i = 0; i < n; ++i) {
        const double lb = nb.logProb(b, i);
        kld += std::exp(lb) * (lb - nq.logProb(q, i));
    }
    return kld;
}

double percentileSorted(const std::vector<float>& v, double fraction) {
    if (v.empty()) return 0;
    if (fraction <= 0) return v.front();
    if (fraction >= 1) return v.back();
    double p = fraction * double(v.size() - 1);
    const size_t ip = size_t(p);
    p -= double(ip);
    return (1 - p) * v[ip] + p * v[std::min(ip + 1, v.size() - 1)];
}

KldResult computeKld(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize, const ChunkEvaluator& evaluateBase,
                     const ChunkEvaluator& evaluateVariant, Job& job) {
    const int chunks = perplexityChunks(tokens.size(), ctx, maxChunks);
    const auto start = std::chrono::steady_clock::now();
    job.begin("kld", chunks, "chunks");
    Sums s;
    std::vector<float> kldValues;
    kldValues.reserve(size_t(chunks) * size_t(ctx - 1 - ctx / 2));
    std::vector<float> baseLogits, logits;
    for (int c = 0; c < chunks; ++c) {
        const std::vector<int> chunk = perplexityChunk(tokens, c, ctx, bos);
        evaluateBase(chunk, baseLogits);
        evaluateVariant(chunk, logits);
        for (int j = ctx / 2; j < ctx - 1; ++j) {
            const float* b = baseLogits.data() + size_t(j) * vocabSize;
            const float* q = logits.data() + size_t(j) * vocabSize;
            const int target = tokens[size_t(c) * ctx + j + 1];
            const LogSoftmaxNorm nb = logSoftmaxNorm(b, vocabSize), nq = logSoftmaxNorm(q, vocabSize);
            // the same operations, in the same order, as perplexity's: ppl_base is its result bit for bit
            const double logProbBase = nb.logProb(b, target), logProb = nq.logProb(q, target);
            s.nllBase -= logProbBase;
            s.nllBase2 += logProbBase * logProbBase;
            s.nll -= logProb;
            s.nll2 += logProb * logProb;
            s.nllNllBase += logProb * logProbBase;
            const double kld = klDivergence(b, nb, q, nq, vocabSize);
            s.kld += kld;
            s.kld2 += kld * kld;
            kldValues.push_back(float(kld));
            if (argmax(b, vocabSize) == argmax(q, vocabSize)) ++s.sameTop;
            const double dp = std::exp(logProb) - std::exp(logProbBase);
            s.dp += dp;
            s.dp2 += dp * dp;
            s.dp4 += dp * dp * dp * dp;
            s.dpMax = std::max(s.dpMax, std::fabs(dp));
            ++s.count;
        }
        job.step(c + 1);
    }
    KldResult r;
    r.chunks = chunks;
    r.ctx = ctx;
    r.tokensScored = int(s.count);
    const size_t n = s.count;
    // perplexities exactly as computePerplexity forms them
    const double meanBase = s.nllBase / double(n), mean = s.nll / double(n);
    r.pplBase = std::exp(meanBase);
    r.ppl = std::exp(mean);
    const double uncBase = meanAndStderr(-s.nllBase, s.nllBase2, n).second, unc = meanAndStderr(-s.nll, s.nll2, n).second;
    r.pplBaseStderr = r.pplBase * uncBase;
    r.pplStderr = r.ppl * unc;
    const double cov = n > 1 ? (s.nllNllBase / double(n) - mean * meanBase) / double(n - 1) : 0;
    r.lnPplRatio = mean - meanBase;
    r.lnPplRatioStderr = std::sqrt(std::max(0.0, unc * unc + uncBase * uncBase - 2 * cov));
    std::tie(r.kldMean, r.kldStderr) = meanAndStderr(s.kld, s.kld2, n);
    std::sort(kldValues.begin(), kldValues.end());
    r.kldMedian = kldValues.size() % 2 == 0 ? 0.5 * (double(kldValues[n / 2]) + double(kldValues[n / 2 - 1])) : kldValues[n / 2];
    r.kldP90 = percentileSorted(kldValues, 0.90);
    r.kldP95 = percentileSorted(kldValues, 0.95);
    r.kldP99 = percentileSorted(kldValues, 0.99);
    r.kldP999 = percentileSorted(kldValues, 0.999);
    r.kldMax = kldValues.back();
    r.kldMin = kldValues.front();
    const double pTop = double(s.sameTop) / double(n);
    r.top1Agreement = 100 * pTop;
    r.top1Stderr = n > 1 ? 100 * std::sqrt(pTop * (1 - pTop) / double(n - 1)) : 0;
    const auto [dpMean, dpStderr] = meanAndStderr(s.dp, s.dp2, n);
    r.deltaPMean = 100 * dpMean;
    r.deltaPMeanStderr = 100 * dpStderr;
    const double ms = s.dp2 / double(n), rms = std::sqrt(ms);
    const double msVar = s.dp4 / double(n) - ms * ms;
    r.deltaPRms = 100 * rms;
    r.deltaPRmsStderr = rms > 0 && n > 1 ? 100 * 0.5 / rms * std::sqrt(std::max(0.0, msVar) / double(n - 1)) : 0;
    r.deltaPMax = 100 * s.dpMax;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

KldResult computeKld(ForwardPass& base, const Model& baseModel, ForwardPass& variant, const Model& variantModel,
                     const std::vector<int>& tokens, int ctx, int maxChunks, Job& job) {
    checkSameVocabulary(baseModel, variantModel);
    for (ForwardPass* f : {&base, &variant})
        if (ctx > f->capacity())
            throw Error("kld: --ctx " + std::to_string(ctx) + " exceeds the forward pass's context of " + std::to_string(f->capacity()));
    return computeKld(tokens, evalBos(*baseModel.vocab), ctx, maxChunks, baseModel.config.vocabSize, chunkEvaluator(base), chunkEvaluator(variant),
                      job);
}

} // namespace qb
