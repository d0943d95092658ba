#pragma once
// The one interface every backend's forward pass implements (the CPU
// reference, Vulkan), so the rest of the program picks a device by name.
#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qb {

// Memory a forward pass holds, in bytes, as allocated (not estimated).
struct MemoryUse {
    uint64_t weights = 0;  // on the device (Vulkan) or mapped/owned weights (CPU)
    uint64_t kvCache = 0;
    uint64_t scratch = 0;  // activations, logits, staging
    uint64_t total() const { return weights + kvCache + scratch; }
};

// Throws qb::Error for an empty batch, a token outside [0, vocabSize), or
// "context full" when position + n exceeds capacity. Every backend calls it first.
void checkForwardInput(const int* tokens, int n, int position, int capacity, int vocabSize);

// The KV cache's length for a requested context (0 = the model's trained
// length, at most `defaultCap`). Throws for a context the engine cannot run
// exactly: longer than a sliding attention window (not implemented).
int forwardCapacity(const Model& model, int requested, int defaultCap);

class ForwardPass {
public:
    virtual ~ForwardPass() = default;
    // Runs n tokens at positions position()..position()+n-1; n x vocab logits
    // (or the last row only). Throws qb::Error "context full" past capacity().
    virtual void forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) = 0;
    virtual void reset() = 0;
    // Forgets every position from `position` on (a KV-cache rollback: the
    // cache keeps the common prefix, the next forward() starts there).
    virtual void rollback(int position) = 0;
    virtual int position() const = 0;
    virtual int capacity() const = 0;
    virtual MemoryUse memoryUse() const = 0;
};

} // namespace qb
