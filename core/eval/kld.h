#pragma once
// KL-divergence of a variant against a base model, as llama-perplexity
// --kl-divergence reports it, but in one process and without a logits file:
// both models run chunk by chunk over the same tokens (perplexity's chunks,
// second half scored), so ppl_base is exactly the base model's perplexity.
// Per scored position: KLD = sum_i p_base(i) (log p_base(i) - log p(i)) over the
// whole vocabulary (in double), top-1 agreement of the argmaxes, and
// dp = p(target) - p_base(target).
#include "eval/perplexity.h"

namespace qb {

struct KldResult {
    double pplBase = 0, pplBaseStderr = 0, ppl = 0, pplStderr = 0;
    double lnPplRatio = 0, lnPplRatioStderr = 0;   // mean of nll - nll_base, with covariance
    double kldMean = 0, kldStderr = 0, kldMedian = 0, kldP90 = 0, kldP95 = 0, kldP99 = 0, kldP999 = 0, kldMax = 0, kldMin = 0;
    double top1Agreement = 0, top1Stderr = 0;       // percent of positions with the same argmax
    double deltaPMean = 0, deltaPMeanStderr = 0;    // percent
    double deltaPRms = 0, deltaPRmsStderr = 0;      // percent
    double deltaPMax = 0;                           // percent, largest |dp|
    int tokensScored = 0, chunks = 0, ctx = 0;
    double seconds = 0;
};

// `evaluateBase` and `evaluateVariant` give ctx x vocab logits for one chunk.
// Progress: stage "kld", unit "chunks"; cancel between chunks.
KldResult computeKld(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize, const ChunkEvaluator& evaluateBase,
                     const ChunkEvaluator& evaluateVariant, Job& job = noJob());
// On two forward passes; the models must share the vocabulary (checked).
KldResult computeKld(ForwardPass& base, const Model& baseModel, ForwardPass& variant, const Model& variantModel,
                     const std::vector<int>& tokens, int ctx, int maxChunks, Job& job = noJob());

// KL(base || other) at one position, from the two rows of n logits and their
// log-softmax norms, over the whole vocabulary in double.
double klDivergence(const float* base, const LogSoftmaxNorm& baseNorm, const float* other, const LogSoftmaxNorm& otherNorm, int n);

// Linear interpolation between order statistics, as llama-perplexity's percentiles.
double percentileSorted(const std::vector<float>& sorted, double fraction);

} // namespace qb
