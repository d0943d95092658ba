#pragma once
// Perplexity by llama.cpp's llama-perplexity method, so numbers compare:
// tokenize the whole text once with BOS (when the vocabulary adds one);
// n_chunks = min(K, n_tokens / ctx); chunk i is tokens [i*ctx, (i+1)*ctx) with
// its first token replaced by BOS, run from an empty KV cache; logits at
// positions ctx/2 .. ctx-2 predict the next token; PPL = exp(mean NLL over all
// scored tokens).
#include "model/forward.h"
#include "model/model.h"
#include "run/job.h"

#include <functional>
#include <string>
#include <vector>

namespace qb {

struct PerplexityResult {
    double ppl = 0;
    double pplStderr = 0;
    int tokensScored = 0;
    int chunks = 0;
    int ctx = 0;
    double seconds = 0;
    std::vector<double> chunkPpl; // running PPL after each chunk, as llama-perplexity prints
};

// Evaluates `ctx` logits rows for `tokens` (one chunk, from an empty cache).
using ChunkEvaluator = std::function<void(const std::vector<int>& tokens, std::vector<float>& logits)>;

// A chunk on a forward pass: reset the cache, run the chunk, every position's logits.
ChunkEvaluator chunkEvaluator(ForwardPass& forward);

// The BOS rule of every evaluation: the vocabulary's BOS when it adds one, else -1.
int evalBos(const Vocab& vocab);
// The evaluation text as one token sequence (BOS first by the rule above).
std::vector<int> tokenizeEvalText(const Model& model, const std::string& text);
// How many chunks llama-perplexity scores: min(maxChunks, tokens / ctx); throws when none fits.
int perplexityChunks(size_t tokenCount, int ctx, int maxChunks);
// Chunk c of `tokens` with its first token replaced by `bos` (when bos >= 0).
std::vector<int> perplexityChunk(const std::vector<int>& tokens, int c, int ctx, int bos);
// log(sum_i exp(row[i] - max)) and max: log p(i) = row[i] - max - logSum.
struct LogSoftmaxNorm {
    float max = 0;
    double logSum = 0;
    double logProb(const float* row, int i) const { return double(row[i] - max) - logSum; }
};
LogSoftmaxNorm logSoftmaxNorm(const float* row, int n);

// Progress: job stage "perplexity", unit "chunks"; cancel between chunks.
PerplexityResult computePerplexity(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize,
                                   const ChunkEvaluator& evaluate, Job& job = noJob());
// The same on a forward pass (reset before each chunk).
PerplexityResult computePerplexity(ForwardPass& forward, const Model& model, const std::vector<int>& tokens, int ctx, int maxChunks,
                                   Job& job = noJob());

} // namespace qb
