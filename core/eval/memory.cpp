#include "eval/memory.h"

#include "vk/engine.h"

#include <fstream>
#include <sstream>

namespace qb {

MemoryUse estimateMemory(const Model& model, const std::string& device, int contextLength, KvCacheType kvType, int batchTokens) {
    if (device == "cpu") return CpuForward::estimate(model, contextLength);
    return vk::VkForward::estimate(model, contextLength, kvType, batchTokens);
}

HostMemory hostMemory() {
    HostMemory h;
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        std::istringstream ss(line);
        std::string key;
        uint64_t kb = 0;
        ss >> key >> kb;
        if (key == "VmRSS:") h.residentBytes = kb * 1024;
        if (key == "VmHWM:") h.peakResidentBytes = kb * 1024;
    }
    return h;
}

} // namespace qb
