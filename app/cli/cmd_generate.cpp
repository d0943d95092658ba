// quantbench-cli generate: text from a prompt, streamed as it is produced.
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "common/error.h"
#include "model/forward_cpu.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "cli/progress.h"
#include "run/generate.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdGenerate(const Argv& argv) {
    Args args(argv, {"--json", "--no-bos"},
              {"-p", "--prompt", "-n", "--n-predict", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty",
               "--repeat-last-n", "--seed", "--device", "--tokenizer", "--threads", "--ctx", "--kv-type"});
    if (args.positional().size() != 1) throw qb::Error("generate: expected one MODEL path");
    const auto model = loadRunnableModel(args, args.positional()[0]);
    const std::string prompt = args.has("-p") ? args.get("-p") : args.get("--prompt");
    const int nPredict = args.has("-n") ? args.getInt("-n", 64) : args.getInt("--n-predict", 64);
    if (nPredict < 0) throw qb::Error("option '-n': expected a non-negative number of tokens");

    qb::Sampler sampler(samplerParams(args, qb::SamplerParams{}.temperature));

    qb::Tokenizer tok(model->vocab);
    std::vector<int> ids = tok.encode(prompt, !args.flag("--no-bos"), true);
    if (ids.empty()) throw qb::Error("generate: the prompt is empty and the model adds no BOS token; give -p");
    // context: --ctx, else just what this run needs (within the trained length)
    const int ctx = args.getInt("--ctx", std::min(int(ids.size()) + nPredict, std::max(model->config.contextLength, 1)));
    if (ctx < 1) throw qb::Error("option '--ctx': expected a positive number of tokens");
    const auto runner = openRunner(args, *model, ctx);
    const std::string device = runner->label;

    const bool json = args.flag("--json");
    const std::string promptText = tok.decode(ids);
    if (!json) { std::fputs(promptText.c_str(), stdout); std::fflush(stdout); }
    JobProgress progress(false); // Ctrl-C stops between tokens
    const qb::GenerateResult r = qb::generate(*runner->forward, *model, ids, nPredict, sampler, [&](const std::string& piece) {
        if (json) return;
        std::fputs(piece.c_str(), stdout);
        std::fflush(stdout);
    }, progress.job());
    const int generated = int(r.ids.size());
    const double tps = r.tokensPerSecond(), ppTps = r.promptTokensPerSecond();

    if (json) {
        nlohmann::json j;
        j["text"] = promptText + r.text;
        j["ids"] = r.ids;
        j["prompt_ids"] = r.promptIds;
        j["tokens_per_second"] = tps;
        j["prompt_tokens_per_second"] = ppTps;
        j["n_generated"] = generated;
        j["device"] = device;
        j["synthetic"] = model->config.synthetic;
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        std::printf("\n");
        std::fprintf(stderr, "\n%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s on %s%s\n", int(r.promptIds.size()), ppTps,
                     generated, tps, device.c_str(), model->config.synthetic ? " [synthetic weights]" : "");
    }
    return 0;
}

} // namespace qbcli
