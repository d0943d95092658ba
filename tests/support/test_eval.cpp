#include "support/test_eval.h"

#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"
#include "vk/engine.h"

#include <QByteArray>
#include <cstring>
#include <string>
#include <QtGlobal>

namespace qbtest {

double valPerplexity(qb::ForwardPass& fwd, const qb::Model& m, int ctx, int chunks) {
    const auto tokens = qb::tokenizeEvalText(m, readFile(sharedPath("text/tinystories_val.txt")));
    return qb::computePerplexity(fwd, m, tokens, ctx, chunks).ppl;
}

double valPerplexity(const qb::Model& m, int ctx, int chunks) {
    qb::ThreadPool pool(2);
    qb::CpuForwardOptions o;
    o.contextLength = ctx;
    qb::CpuForward fwd(m, pool, o);
    return valPerplexity(fwd, m, ctx, chunks);
}

std::vector<float> cpuLogits(const qb::Model& m, const std::vector<int>& ids) {
    qb::ThreadPool pool(2);
    qb::CpuForward fwd(m, pool);
    std::vector<float> logits;
    fwd.forward(ids.data(), int(ids.size()), logits, true);
    return logits;
}

std::unique_ptr<qb::Runner> openValidated(const qb::Model& m, const std::string& device, int contextLength) {
    qputenv("QUANTBENCH_VALIDATION", QByteArray("1"));
    qb::RunOptions o;
    o.device = device;
    o.threads = 2;
    o.contextLength = contextLength;
    return qb::openRunner(m, o);
}

std::string compareWithCpu(const std::vector<float>& vulkan, const std::vector<float>& cpu, const qb::ForwardPass& engine) {
    if (vulkan.size() != cpu.size()) return std::to_string(vulkan.size()) + " logits, the CPU reference " + std::to_string(cpu.size());
    const auto* vk = dynamic_cast<const qb::vk::VkForward*>(&engine);
    if (!vk) return "not a Vulkan forward pass";
    if (vk->bitIdenticalWithCpu()) {
        for (size_t i = 0; i < cpu.size(); ++i)
            if (std::memcmp(&vulkan[i], &cpu[i], sizeof(float)) != 0)
                return "logit " + std::to_string(i) + ": " + std::to_string(vulkan[i]) + ", the CPU reference " + std::to_string(cpu[i]) +
                       " (this device runs the bit-identical kernels)";
        return {};
    }
    double e = 0, r = 0;
    for (size_t i = 0; i < cpu.size(); ++i) {
        e += double(vulkan[i] - cpu[i]) * double(vulkan[i] - cpu[i]);
        r += double(cpu[i]) * double(cpu[i]);
    }
    if (!(e <= 1e-6 * r)) return "nmse " + std::to_string(r > 0 ? e / r : e) + " against the CPU reference (GPU kernel variants: at most 1e-6)";
    return {};
}

std::vector<int> greedyFromBos(qb::ForwardPass& fwd, const qb::Model& m, int n) {
    std::vector<int> ids{m.vocab->bos};
    std::vector<float> logits;
    fwd.forward(ids.data(), 1, logits, false);
    for (int i = 0; i < n; ++i) {
        ids.push_back(qb::argmax(logits.data(), m.config.vocabSize));
        fwd.forward(&ids.back(), 1, logits, false);
    }
    return ids;
}

} // namespace qbtest
