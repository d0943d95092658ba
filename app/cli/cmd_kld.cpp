// quantbench-cli kld: KL-divergence of a variant against a base model (core/eval/kld.h).
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "eval/kld.h"
#include "eval/results.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdKld(const Argv& argv) {
    Args args(argv, {"--json"}, {"--text", "-f", "--ctx", "-c", "--chunks", "--device", "--tokenizer", "--threads", "--kv-type"});
    if (args.positional().size() != 2) throw qb::Error("kld: expected BASE and VARIANT model paths");
    const std::string textPath = args.has("--text") ? args.get("--text") : args.get("-f");
    if (textPath.empty()) throw qb::Error("kld: --text FILE is required");
    const auto base = loadRunnableModel(args, args.positional()[0]);
    const auto variant = loadRunnableModel(args, args.positional()[1]);
    for (const auto* m : {base.get(), variant.get()})
        if (m->config.synthetic) throw qb::fileError(m->path, "general.synthetic is true: KL-divergence of synthetic (random) weights means nothing");
    const int ctx = args.has("-c") ? args.getInt("-c", 512) : args.getInt("--ctx", 512);
    const int maxChunks = args.getInt("--chunks", -1);
    const std::vector<int> tokens = qb::tokenizeEvalText(*base, readTextFile(textPath));
    const auto baseRunner = openRunner(args, *base, ctx);
    const auto variantRunner = openRunner(args, *variant, ctx);
    JobProgress progress;
    const qb::KldResult r = qb::computeKld(*baseRunner->forward, *base, *variantRunner->forward, *variant, tokens, ctx, maxChunks, progress.job());
    progress.finish();
    const std::string method = "llama-perplexity --kl-divergence method, in one process: ctx " + std::to_string(ctx) + ", " +
                               std::to_string(r.chunks) + " chunks, second half of each chunk scored, KV cache " +
                               qb::kvCacheTypeName(kvCacheType(args)) + ", full-vocabulary KLD in double";
    if (args.flag("--json")) {
        nlohmann::json j = qb::toJson(r);
        j["base"] = base->path;
        j["variant"] = variant->path;
        j["text"] = textPath;
        j["device"] = baseRunner->label;
        j["method"] = method;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("base    %s\nvariant %s\n", base->path.c_str(), variant->path.c_str());
    std::printf("====== Perplexity statistics ======\n");
    std::printf("Mean PPL(Q)                   : %10.6f +/- %10.6f\n", r.ppl, r.pplStderr);
    std::printf("Mean PPL(base)                : %10.6f +/- %10.6f\n", r.pplBase, r.pplBaseStderr);
    std::printf("Mean ln(PPL(Q)/PPL(base))     : %10.6f +/- %10.6f\n", r.lnPplRatio, r.lnPplRatioStderr);
    std::printf("====== KL divergence statistics ======\n");
    std::printf("Mean    KLD: %10.6f +/- %10.6f\n", r.kldMean, r.kldStderr);
    std::printf("Maximum KLD: %10.6f\n99.9%%   KLD: %10.6f\n99.0%%   KLD: %10.6f\n95.0%%   KLD: %10.6f\n90.0%%   KLD: %10.6f\n", r.kldMax,
                r.kldP999, r.kldP99, r.kldP95, r.kldP90);
    std::printf("Median  KLD: %10.6f\nMinimum KLD: %10.6f\n", r.kldMedian, r.kldMin);
    std::printf("====== Token probability statistics ======\n");
    std::printf("Mean    dp: %7.3f +/- %.3f %%\nMaximum dp: %7.3f %%\nRMS dp    : %7.3f +/- %.3f %%\n", r.deltaPMean, r.deltaPMeanStderr,
                r.deltaPMax, r.deltaPRms, r.deltaPRmsStderr);
    std::printf("Same top p: %7.3f +/- %.3f %%\n", r.top1Agreement, r.top1Stderr);
    std::printf("%d tokens scored in %.2f s; %s; device %s\n", r.tokensScored, r.seconds, method.c_str(), baseRunner->label.c_str());
    return 0;
}

} // namespace qbcli
