#include "eval/perplexity.h"

#include "common/error.h"
#include "model/tokenizer.h"

#include <chrono>
#include <cmath>

namespace qb {

ChunkEvaluator chunkEvaluator(ForwardPass& forward) {
    return [&forward](const std::vector<int>& chunk, std::vector<float>& logits) {
        forward.reset();
        forward.forward(chunk.data(), int(chunk.size()), logits, true);
    };
}

int evalBos(const Vocab& vocab) { return vocab.addBos ? vocab.bos : -1; }

std::vector<int> tokenizeEvalText(const Model& model, const std::string& text) {
    if (!model.vocab) throw fileError(model.path, "has no tokenizer to read the evaluation text with");
    Tokenizer tok(model.vocab);
    return tok.encode(text, true, false);
}

int perplexityChunks(size_t tokenCount, int ctx, int maxChunks) {
    if (ctx < 4) throw Error("perplexity: --ctx " + std::to_string(ctx) + " is too small, expected at least 4");
    const int available = int(tokenCount / size_t(ctx));
    const int chunks = maxChunks > 0 ? std::min(maxChunks, available) : available;
    if (chunks < 1)
        throw Error("perplexity: the text has " + std::to_string(tokenCount) + " tokens, expected at least " + std::to_string(ctx) +
                    " (one chunk of --ctx)");
    return chunks;
}

std::vector<int> perplexityChunk(const std::vector<int>& tokens, int c, int ctx, int bos) {
    std::vector<int> chunk(tokens.begin() + long(c) * ctx, tokens.begin() + long(c + 1) * ctx);
    if (bos >= 0) chunk[0] = bos;
    return chunk;
}

LogSoftmaxNorm logSoftmaxNorm(const float* row, int n) {
    LogSoftmaxNorm r;
    r.max = row[0];
    for (int i = 1; i < n; ++i) r.max = std::max(r.max, row[i]);
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += std::exp(double(row[i] - r.max));
    r.logSum = std::log(sum);
    return r;
}

PerplexityResult computePerplexity(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize,
                                   const ChunkEvaluator& evaluate, Job& job) {
    const int chunks = perplexityChunks(tokens.size(), ctx, maxChunks);
    const auto start = std::chrono::steady_clock::now();
    job.begin("perplexity", chunks, "chunks");
    PerplexityResult r;
    r.ctx = ctx;
    double nll = 0, nll2 = 0;
    const int first = ctx / 2;
    std::vector<float> logits;
    for (int c = 0; c < chunks; ++c) {
        evaluate(perplexityChunk(tokens, c, ctx, bos), logits);
        for (int j = first; j < ctx - 1; ++j) {
            const float* row = logits.data() + size_t(j) * vocabSize;
            const double logProb = logSoftmaxNorm(row, vocabSize).logProb(row, tokens[size_t(c) * ctx + j + 1]);
            nll -= logProb;
            nll2 += logProb * logProb;
            ++r.tokensScored;
        }
        r.chunkPpl.push_back(std::exp(nll / r.tokensScored));
        job.step(c + 1);
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

PerplexityResult computePerplexity(ForwardPass& forward, const Model& model, const std::vector<int>& tokens, int ctx, int maxChunks,
                                   Job& job) {
    if (ctx > forward.capacity())
        throw Error("perplexity: --ctx " + std::to_string(ctx) + " exceeds the forward pass's context of " + std::to_string(forward.capacity()));
    return computePerplexity(tokens, evalBos(*model.vocab), ctx, maxChunks, model.config.vocabSize, chunkEvaluator(forward), job);
}

} // namespace qb
