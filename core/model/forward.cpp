#include "model/forward.h"

#include "common/error.h"

#include <algorithm>

namespace qb {

void checkForwardInput(const int* tokens, int n, int position, int capacity, int vocabSize) {
    if (n <= 0) throw Error("forward: no tokens to run");
    if (position + n > capacity)
        throw Error("context full: " + std::to_string(position) + " + " + std::to_string(n) + " tokens exceed the context of " +
                    std::to_string(capacity));
    for (int t = 0; t < n; ++t)
        if (tokens[t] < 0 || tokens[t] >= vocabSize)
            throw Error("forward: token id " + std::to_string(tokens[t]) + " is outside the vocabulary (0.." + std::to_string(vocabSize - 1) + ")");
}

int forwardCapacity(const Model& model, int requested, int defaultCap) {
    const ModelConfig& c = model.config;
    // the KV cache is allocated up front: a default never takes a huge trained context (128K) on trust
    const int capacity = requested > 0 ? requested : std::min(c.contextLength > 0 ? c.contextLength : defaultCap, defaultCap);
    if (c.slidingWindow > 0 && capacity > c.slidingWindow)
        throw Error(model.path + ": a context of " + std::to_string(capacity) + " tokens is longer than " + c.archName +
                    "'s sliding attention window of " + std::to_string(c.slidingWindow) +
                    " (sliding-window attention is not implemented): use a context of at most " + std::to_string(c.slidingWindow));
    return capacity;
}

} // namespace qb
