#pragma once
// "Open a model on a device": the one place that turns a device name into a
// forward pass (CPU reference or Vulkan), with the default-device rule (Vulkan
// when a device is present, else the CPU reference, and a note saying why).
// Used by the CLI, the tests and the GUI's workers alike.
#include "common/thread_pool.h"
#include "model/forward.h"
#include "model/forward_cpu.h"
#include "model/model.h"
#include "run/job.h"

#include <memory>
#include <string>

namespace qb {

namespace vk { class Context; }

struct RunOptions {
    std::string device;     // "" = default (Vulkan if present, else cpu), "cpu", "vulkan", "vulkan:N"
    int threads = 0;        // CPU reference threads; 0 = hardware concurrency
    int contextLength = 0;  // 0 = the model's trained length (capped)
    KvCacheType kvType = KvCacheType::F16;
    Job* job = nullptr;     // Vulkan: upload progress and cancel (the CPU reference reads the mapped file)
};

// A forward pass with what it needs kept alive. Not shared between threads:
// open one Runner per thread (two may run at once on different devices).
struct Runner {
    // declaration order is destruction order reversed: the forward pass goes before what it uses
    std::unique_ptr<ThreadPool> pool;
    std::unique_ptr<vk::Context> vulkan;
    std::unique_ptr<ForwardPass> forward;
    std::string device;       // "cpu" or "vulkan"
    std::string label;        // "cpu (2 threads, F32 reference)" or "llvmpipe ... [cpu, Vulkan]"
    std::string kernelPaths;  // Vulkan: the kernel variants chosen (empty on the CPU)
    std::string note;         // why the default fell back to the CPU, if it did
    ~Runner();
};

std::unique_ptr<Runner> openRunner(const Model& model, const RunOptions& options);

// A model that can run: weights and a tokenizer (a llama2.c checkpoint needs
// `tokenizerPath` or tokenizer.bin beside it).
std::unique_ptr<Model> loadRunnableModel(const std::string& path, const std::string& tokenizerPath = {});

} // namespace qb
