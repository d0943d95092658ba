#pragma once
// Shared by the commands that run a model: loading with --tokenizer, the
// backend chosen by --device (cpu | vulkan[:N]), the thread pool size.
#include "cli/args.h"
#include "common/thread_pool.h"
#include "model/forward.h"
#include "model/forward_cpu.h"
#include "model/model.h"
#include "vk/context.h"

#include <memory>
#include <string>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path);
int threadCount(const Args& args);
qb::KvCacheType kvCacheType(const Args& args); // --kv-type f16 (default) | f32 | q8_0 | fp8

// A forward pass on the device --device names, with what it needs kept alive.
struct Backend {
    std::unique_ptr<qb::ThreadPool> pool;
    std::unique_ptr<qb::vk::Context> vulkan;
    std::unique_ptr<qb::ForwardPass> forward;
    std::string label; // "cpu (2 threads, F32 reference)" or "llvmpipe ... [cpu, Vulkan]"
};
Backend makeBackend(const Args& args, const qb::Model& model, int contextLength, qb::KvCacheType kvType);

} // namespace qbcli
