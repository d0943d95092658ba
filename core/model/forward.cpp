#include "model/forward.h"

#include "common/error.h"

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

} // namespace qb
