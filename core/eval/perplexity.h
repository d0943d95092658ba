#pragma once
// Perplexity by llama.cpp's llama-perplexity method, so numbers compare:
// tokenize the whole text once with BOS; n_chunks = min(K, n_tokens / ctx);
// chunk i is tokens [i*ctx, (i+1)*ctx) with its first token replaced by BOS,
// run from an empty KV cache; logits at positions ctx/2 .. ctx-2 predict the
// next token; PPL = exp(mean NLL over all scored tokens).
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

// `progress(chunkDone, chunks)` after each chunk; return false to cancel.
PerplexityResult computePerplexity(const std::vector<int>& tokens, int bos, int ctx, int maxChunks, int vocabSize,
                                   const ChunkEvaluator& evaluate,
                                   const std::function<bool(int, int, double)>& progress = {});

} // namespace qb
