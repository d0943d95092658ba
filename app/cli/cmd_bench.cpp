// quantbench-cli bench: prefill and decode speed, like llama-bench (core/eval/speed.h).
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "common/error.h"
#include "eval/memory.h"
#include "eval/results.h"
#include "eval/speed.h"
#include "vk/engine.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdBench(const Argv& argv) {
    Args args(argv, {"--json"}, {"--pp", "--tg", "--device", "--threads", "--kv-type", "--repetitions", "-r", "--tokenizer"});
    if (args.positional().size() != 1) throw qb::Error("bench: expected one MODEL path");
    const auto model = loadRunnableModel(args, args.positional()[0]);
    const int pp = args.getInt("--pp", 128), tg = args.getInt("--tg", 32);
    const int reps = args.has("-r") ? args.getInt("-r", 3) : args.getInt("--repetitions", 3);
    if (pp < 0 || tg < 0 || pp + tg == 0 || reps < 1) throw qb::Error("bench: expected --pp >= 0, --tg >= 0 (not both 0) and --repetitions >= 1");
    const std::string kv = qb::kvCacheTypeName(kvCacheType(args));
    const auto runner = openRunner(args, *model, std::max(pp, tg) + 1);
    const qb::SpeedResult s = qb::measureSpeed(*runner->forward, model->config.vocabSize, pp, tg, reps);
    if (const auto* vk = dynamic_cast<const qb::vk::VkForward*>(runner->forward.get())) // QUANTBENCH_VK_PROFILE=1
        if (const std::string report = vk->profileReport(); !report.empty()) std::fprintf(stderr, "%s", report.c_str());
    const qb::MemoryUse mem = runner->forward->memoryUse();
    const bool synthetic = model->config.synthetic;
    if (args.flag("--json")) {
        nlohmann::json j{{"device", runner->label},
                         {"model", model->path},
                         {"synthetic", synthetic},
                         {"n_params", model->parameterCount()},
                         {"model_bytes", model->weightBytes()},
                         {"kv_type", kv},
                         {"memory", qb::toJson(mem)},
                         {"host_peak_rss_bytes", qb::hostMemory().peakResidentBytes}};
        j.update(qb::toJson(s));
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model: %s%s (%lld params, %.1f MB of weights)\ndevice: %s, KV cache %s, %d repetitions\n", model->path.c_str(),
                synthetic ? " [synthetic weights]" : "", (long long)model->parameterCount(), double(model->weightBytes()) / 1e6,
                runner->label.c_str(), kv.c_str(), reps);
    if (pp > 0) std::printf("pp%-5d %10.1f +/- %.1f tok/s (time to first token %.1f ms)\n", pp, s.ppTokensPerSecond, s.ppStddev, 1e3 * s.ttftSeconds);
    if (tg > 0) std::printf("tg%-5d %10.1f +/- %.1f tok/s\n", tg, s.tgTokensPerSecond, s.tgStddev);
    std::printf("memory: weights %.2f MB, KV cache %.2f MB, scratch %.2f MB (%s)\n", mem.weights / 1e6, mem.kvCache / 1e6, mem.scratch / 1e6,
                runner->device == "cpu" ? "host" : "device");
    return 0;
}

} // namespace qbcli
