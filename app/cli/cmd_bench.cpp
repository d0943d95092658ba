// quantbench-cli bench: prefill and decode speed, like llama-bench.
#include "cli/args.h"
#include "cli/cli_model.h"
#include "vk/engine.h"
#include "cli/commands.h"
#include "common/error.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

namespace qbcli {

namespace {

struct Stat {
    double mean = 0, stddev = 0;
};

Stat stats(const std::vector<double>& v) {
    Stat s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    for (double x : v) s.stddev += (x - s.mean) * (x - s.mean);
    s.stddev = v.size() > 1 ? std::sqrt(s.stddev / double(v.size() - 1)) : 0;
    return s;
}

} // namespace

int cmdBench(const Argv& argv) {
    Args args(argv, {"--json"}, {"--pp", "--tg", "--device", "--threads", "--kv-type", "--repetitions", "-r", "--tokenizer"});
    if (args.positional().size() != 1) throw qb::Error("bench: expected one MODEL path");
    const auto model = loadRunnableModel(args, args.positional()[0]);
    const int pp = args.getInt("--pp", 128), tg = args.getInt("--tg", 32);
    const int reps = args.has("-r") ? args.getInt("-r", 3) : args.getInt("--repetitions", 3);
    if (pp < 0 || tg < 0 || pp + tg == 0 || reps < 1) throw qb::Error("bench: expected --pp >= 0, --tg >= 0 (not both 0) and --repetitions >= 1");
    const std::string kv = qb::kvCacheTypeName(kvCacheType(args));
    Backend backend = makeBackend(args, *model, std::max(pp, tg) + 1, kvCacheType(args));
    qb::ForwardPass& fwd = *backend.forward;

    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> tok(0, model->config.vocabSize - 1);
    std::vector<int> prompt(size_t(std::max(pp, 1)));
    for (int& t : prompt) t = tok(rng);
    std::vector<float> logits;
    using Clock = std::chrono::steady_clock;
    // warm-up: pipelines compiled, buffers sized
    fwd.reset();
    fwd.forward(prompt.data(), std::max(1, std::min(pp, 8)), logits, false);
    std::vector<double> ppRates, tgRates;
    for (int r = 0; r < reps; ++r) {
        if (pp > 0) {
            fwd.reset();
            const auto t0 = Clock::now();
            fwd.forward(prompt.data(), pp, logits, false);
            ppRates.push_back(pp / std::chrono::duration<double>(Clock::now() - t0).count());
        }
        if (tg > 0) {
            fwd.reset();
            int next = prompt[0];
            const auto t0 = Clock::now();
            for (int i = 0; i < tg; ++i) {
                fwd.forward(&next, 1, logits, false);
                next = tok(rng);
            }
            tgRates.push_back(tg / std::chrono::duration<double>(Clock::now() - t0).count());
        }
    }
    if (const auto* vk = dynamic_cast<const qb::vk::VkForward*>(&fwd)) // QUANTBENCH_VK_PROFILE=1
        if (const std::string report = vk->profileReport(); !report.empty()) std::fprintf(stderr, "%s", report.c_str());
    const Stat ppS = ppRates.empty() ? Stat{} : stats(ppRates), tgS = tgRates.empty() ? Stat{} : stats(tgRates);
    const bool synthetic = model->config.synthetic;
    if (args.flag("--json")) {
        nlohmann::json j{{"device", backend.label},           {"model", model->path},
                         {"synthetic", synthetic},           {"n_params", model->parameterCount()},
                         {"model_bytes", model->weightBytes()}, {"pp", pp},
                         {"tg", tg},                         {"repetitions", reps},
                         {"kv_type", kv},                    {"pp_tokens_per_second", ppS.mean},
                         {"pp_stddev", ppS.stddev},          {"tg_tokens_per_second", tgS.mean},
                         {"tg_stddev", tgS.stddev}};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model: %s%s (%lld params, %.1f MB of weights)\ndevice: %s, KV cache %s, %d repetitions\n", model->path.c_str(),
                synthetic ? " [synthetic weights]" : "", (long long)model->parameterCount(), double(model->weightBytes()) / 1e6,
                backend.label.c_str(), kv.c_str(), reps);
    if (pp > 0) std::printf("pp%-5d %10.1f +/- %.1f tok/s\n", pp, ppS.mean, ppS.stddev);
    if (tg > 0) std::printf("tg%-5d %10.1f +/- %.1f tok/s\n", tg, tgS.mean, tgS.stddev);
    return 0;
}

} // namespace qbcli
