#include "eval/perplexity.h"

#include "common/error.h"

#include <chrono>
#include <cmath>

namespace qb {

PerplexityResult computePerplexity(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize,
                                   const ChunkEvaluator& evaluate, const std::function<bool(int, int, double)>& progress) {
    if (ctx < 4) throw Error("perplexity: --ctx " + std::to_string(ctx) + " is too small, expected at least 4");
    const int available = int(tokens.size()) / ctx;
    const int chunks = maxChunks > 0 ? std::min(maxChunks, available) : available;
    if (chunks < 1)
        throw Error("perplexity: the text has " + std::to_string(tokens.size()) + " tokens, expected at least " +
                    std::to_string(ctx) + " (one chunk of --ctx)");
    const auto start = std::chrono::steady_clock::now();
    PerplexityResult r;
    r.ctx = ctx;
    double nll = 0, nll2 = 0;
    const int first = ctx / 2;
    std::vector<float> logits;
    for (int c = 0; c < chunks; ++c) {
        std::vector<int> chunk(tokens.begin() + long(c) * ctx, tokens.begin() + long(c + 1) * ctx);
        if (bos >= 0) chunk[0] = bos;
        evaluate(chunk, logits);
        for (int j = first; j < ctx - 1; ++j) {
            const float* row = logits.data() + size_t(j) * vocabSize;
            float maxv = row[0];
            for (int i = 1; i < vocabSize; ++i) maxv = std::max(maxv, row[i]);
            double sum = 0;
            for (int i = 0; i < vocabSize; ++i) sum += std::exp(double(row[i] - maxv));
            const int target = tokens[size_t(c) * ctx + j + 1];
            const double logProb = double(row[target] - maxv) - std::log(sum);
            nll -= logProb;
            nll2 += logProb * logProb;
            ++r.tokensScored;
        }
        r.chunkPpl.push_back(std::exp(nll / r.tokensScored));
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (progress && !progress(c + 1, chunks, elapsed)) throw Error("perplexity: cancelled", ErrorKind::Cancelled);
    }
    r.chunks = chunks;
    const double mean = nll / r.tokensScored;
    r.ppl = std::exp(mean);
    // llama-perplexity's uncertainty: delta method on the mean NLL
    const double var = nll2 / r.tokensScored - mean * mean;
    r.pplStderr = r.tokensScored > 1 ? r.ppl * std::sqrt(std::max(0.0, var) / (r.tokensScored - 1)) : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

} // namespace qb
