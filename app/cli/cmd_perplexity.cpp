// quantbench-cli perplexity: llama-perplexity's method (see core/eval/perplexity.h).
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "eval/perplexity.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdPerplexity(const Argv& argv) {
    Args args(argv, {"--json"}, {"--text", "-f", "--ctx", "-c", "--chunks", "--device", "--tokenizer", "--threads", "--kv-type"});
    if (args.positional().size() != 1) throw qb::Error("perplexity: expected one MODEL path");
    const std::string textPath = args.has("--text") ? args.get("--text") : args.get("-f");
    if (textPath.empty()) throw qb::Error("perplexity: --text FILE is required");
    const auto model = loadRunnableModel(args, args.positional()[0]);
    if (model->config.synthetic)
        throw qb::fileError(model->path, "general.synthetic is true: perplexity of synthetic (random) weights means nothing");
    const int ctx = args.has("-c") ? args.getInt("-c", 512) : args.getInt("--ctx", 512);
    const int maxChunks = args.getInt("--chunks", -1);
    const std::string kvType = qb::kvCacheTypeName(kvCacheType(args));
    const std::vector<int> tokens = qb::tokenizeEvalText(*model, readTextFile(textPath));
    if (ctx > model->config.contextLength)
        std::fprintf(stderr, "warning: --ctx %d is longer than the model's trained context %d\n", ctx, model->config.contextLength);

    const auto runner = openRunner(args, *model, ctx);
    JobProgress progress;
    const auto result = qb::computePerplexity(*runner->forward, *model, tokens, ctx, maxChunks, progress.job());
    progress.finish();

    const std::string method = "llama-perplexity method: ctx " + std::to_string(ctx) + ", " + std::to_string(result.chunks) +
                               " chunks, second half of each chunk scored, KV cache " + kvType;
    if (args.flag("--json")) {
        nlohmann::json j{{"ppl", result.ppl},         {"ppl_stderr", result.pplStderr}, {"tokens_scored", result.tokensScored},
                         {"seconds", result.seconds}, {"chunks", result.chunks},        {"ctx", ctx},
                         {"n_tokens", tokens.size()}, {"device", runner->label},        {"method", method},
                         {"model", model->path},      {"text", textPath}};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    for (size_t i = 0; i < result.chunkPpl.size(); ++i) std::printf("[%zu]%.4f,", i + 1, result.chunkPpl[i]);
    std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", result.ppl, result.pplStderr);
    std::printf("%d tokens scored in %.2f s; %s; device %s\n", result.tokensScored, result.seconds, method.c_str(), runner->label.c_str());
    return 0;
}

} // namespace qbcli
