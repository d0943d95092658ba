#pragma once
// Memory a model takes on a device, estimated before loading (so a GUI can
// say "will not fit") from the same sizes the engines allocate, and the
// process's host memory (resident now and at its peak).
#include "model/forward.h"
#include "model/forward_cpu.h"
#include "model/model.h"

#include <string>

namespace qb {

// device: "cpu" or "vulkan"; batchTokens: the largest prompt run at once
// (perplexity runs whole chunks of ctx tokens).
MemoryUse estimateMemory(const Model& model, const std::string& device, int contextLength, KvCacheType kvType, int batchTokens);

struct HostMemory {
    uint64_t residentBytes = 0;     // VmRSS
    uint64_t peakResidentBytes = 0; // VmHWM: the process's peak so far
};
HostMemory hostMemory();

} // namespace qb
