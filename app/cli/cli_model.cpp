#include "cli/cli_model.h"

#include "common/error.h"
#include "vk/engine.h"

#include <cstdio>
#include <thread>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path) {
    qb::LoadOptions opts;
    opts.tokenizerPath = args.get("--tokenizer");
    auto model = qb::loadModel(path, opts);
    if (model->tensors.empty()) throw qb::fileError(path, "holds only a tokenizer, no weights to run");
    if (!model->vocab)
        throw qb::fileError(path, "has no tokenizer: a llama2.c checkpoint needs --tokenizer TOK.bin (or tokenizer.bin beside it)");
    return model;
}

int threadCount(const Args& args) {
    const int n = args.getInt("--threads", int(std::max(1u, std::thread::hardware_concurrency())));
    if (n < 1 || n > 1024) throw qb::Error("option '--threads': " + std::to_string(n) + ", expected 1..1024");
    return n;
}

qb::KvCacheType kvCacheType(const Args& args) {
    const std::string name = args.get("--kv-type", "f16");
    const auto t = qb::kvCacheTypeFromName(name);
    if (!t) throw qb::Error("option '--kv-type': '" + name + "', expected f16, f32, q8_0 or fp8");
    return *t;
}

namespace {

Backend vulkanBackend(const qb::Model& model, const std::string& selector, int contextLength, qb::KvCacheType kvType) {
    Backend b;
    qb::vk::ContextOptions co;
    co.selector = selector;
    b.vulkan = std::make_unique<qb::vk::Context>(co);
    qb::vk::VkForwardOptions o;
    o.contextLength = contextLength;
    o.kvType = kvType;
    auto fwd = std::make_unique<qb::vk::VkForward>(model, *b.vulkan, o);
    std::fprintf(stderr, "vulkan: %s: %s\n", b.vulkan->label().c_str(), fwd->kernelPaths().c_str());
    b.forward = std::move(fwd);
    b.label = b.vulkan->label();
    return b;
}

} // namespace

Backend makeBackend(const Args& args, const qb::Model& model, int contextLength, qb::KvCacheType kvType) {
    std::string device = args.get("--device", "");
    if (device.empty()) { // default: Vulkan when a device is present, else the CPU reference
        try {
            return vulkanBackend(model, "", contextLength, kvType);
        } catch (const qb::Error& e) {
            std::fprintf(stderr, "note: no usable Vulkan device (%s); running on the CPU\n", e.what());
            device = "cpu";
        }
    }
    if (device == "cpu") {
        Backend b;
        b.pool = std::make_unique<qb::ThreadPool>(threadCount(args));
        qb::CpuForwardOptions o;
        o.contextLength = contextLength;
        o.kvType = kvType;
        b.forward = std::make_unique<qb::CpuForward>(model, *b.pool, o);
        b.label = "cpu (" + std::to_string(b.pool->size()) + " threads, F32 reference)";
        return b;
    }
    const auto selector = qb::vk::vulkanSelector(device);
    if (!selector) throw qb::Error("option '--device': '" + device + "', expected cpu, vulkan or vulkan:N");
    return vulkanBackend(model, *selector, contextLength, kvType);
}

} // namespace qbcli
