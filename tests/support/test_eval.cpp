#include "support/test_eval.h"

#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"
#include "vk/engine.h"

#include <QByteArray>
#include <cmath>
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

double nmse(const std::vector<float>& got, const std::vector<float>& want) {
    double e = 0, r = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        if (!std::isfinite(got[i])) return 1e30;
        e += double(got[i] - want[i]) * double(got[i] - want[i]);
        r += double(want[i]) * double(want[i]);
    }
    return r > 0 ? e / r : e;
}

std::string compareToCpu(const std::vector<float>& got, const std::vector<float>& cpu, bool bitIdentical) {
    if (got.size() != cpu.size()) return std::to_string(got.size()) + " values, the CPU reference " + std::to_string(cpu.size());
    if (bitIdentical) {
        for (size_t i = 0; i < cpu.size(); ++i)
            if (std::memcmp(&got[i], &cpu[i], sizeof(float)) != 0)
                return "value " + std::to_string(i) + ": " + QByteArray::number(got[i], 'g', 9).toStdString() + ", the CPU reference " +
                       QByteArray::number(cpu[i], 'g', 9).toStdString() + " (this device runs the bit-identical kernels)";
        return {};
    }
    const double e = nmse(got, cpu);
    if (!(e < 1e-6)) return "nmse " + std::to_string(e) + " against the CPU reference (GPU kernel variants: at most 1e-6)";
    return {};
}

std::string compareWithCpu(const std::vector<float>& vulkan, const std::vector<float>& cpu, const qb::ForwardPass& engine) {
    const auto* vk = dynamic_cast<const qb::vk::VkForward*>(&engine);
    if (!vk) return "not a Vulkan forward pass";
    return compareToCpu(vulkan, cpu, vk->bitIdenticalWithCpu());
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
