#include "run/runner.h"

#include "common/error.h"
#include "vk/context.h"
#include "vk/engine.h"

namespace qb {

Runner::~Runner() = default; // members go in reverse order: the forward pass before the context and pool it uses

namespace {

void openVulkan(Runner& r, const Model& model, const std::string& selector, const RunOptions& options) {
    vk::ContextOptions co;
    co.selector = selector;
    r.vulkan = std::make_unique<vk::Context>(co);
    vk::VkForwardOptions o;
    o.contextLength = options.contextLength;
    o.kvType = options.kvType;
    o.job = options.job;
    auto fwd = std::make_unique<vk::VkForward>(model, *r.vulkan, o);
    r.kernelPaths = fwd->kernelPaths();
    r.forward = std::move(fwd);
    r.device = "vulkan";
    r.label = r.vulkan->label();
}

void openCpu(Runner& r, const Model& model, const RunOptions& options) {
    if (options.threads < 0 || options.threads > 1024)
        throw Error("threads: " + std::to_string(options.threads) + ", expected 1..1024 (0 = all cores)");
    r.pool = std::make_unique<ThreadPool>(options.threads);
    CpuForwardOptions o;
    o.contextLength = options.contextLength;
    o.kvType = options.kvType;
    r.forward = std::make_unique<CpuForward>(model, *r.pool, o);
    r.device = "cpu";
    r.label = "cpu (" + std::to_string(r.pool->size()) + " threads, F32 reference)";
}

} // namespace

std::unique_ptr<Runner> openRunner(const Model& model, const RunOptions& options) {
    auto r = std::make_unique<Runner>();
    if (options.device.empty()) {
        try {
            openVulkan(*r, model, "", options);
            return r;
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Cancelled) throw;
            r = std::make_unique<Runner>();
            r->note = std::string("no usable Vulkan device (") + e.what() + "); running on the CPU";
        }
        openCpu(*r, model, options);
        return r;
    }
    if (options.device == "cpu") {
        openCpu(*r, model, options);
        return r;
    }
    const auto selector = vk::vulkanSelector(options.device);
    if (!selector) throw Error("device '" + options.device + "': expected cpu, vulkan or vulkan:N");
    openVulkan(*r, model, *selector, options);
    return r;
}

std::unique_ptr<Model> loadRunnableModel(const std::string& path, const std::string& tokenizerPath) {
    LoadOptions opts;
    opts.tokenizerPath = tokenizerPath;
    auto model = loadModel(path, opts);
    if (model->tensors.empty()) throw fileError(path, "holds only a tokenizer, no weights to run");
    if (!model->vocab)
        throw fileError(path, "has no tokenizer: a llama2.c checkpoint needs --tokenizer TOK.bin (or tokenizer.bin beside it)");
    return model;
}

} // namespace qb
