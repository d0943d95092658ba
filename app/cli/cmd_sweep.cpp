// quantbench-cli sweep / recommend: quantize to many precisions, measure each
// against a reference into DIR/results.json, and pick one for a use case
// (core/eval/sweep.h, core/eval/recommend.h).
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "eval/recommend.h"
#include "eval/sweep.h"

#include <cstdio>

namespace qbcli {

namespace {

void printVariantLine(const nlohmann::json& v) {
    if (v["status"] != "ok") {
        std::printf("%-14s FAILED: %s\n", v["name"].get<std::string>().c_str(), v.value("error", std::string()).c_str());
        return;
    }
    const auto& mc = v["mc"];
    char mcText[16] = "-";
    if (mc.is_object()) std::snprintf(mcText, sizeof mcText, "%.2f%%", mc["acc_per_token"].get<double>());
    std::printf("%-14s %10.3f MB %6.2f bpw  ppl %8.4f  kld %9.6f  p99 %8.5f  top1 %6.2f%%  mc %7s  pp %8.1f  tg %8.1f tok/s%s\n",
                v["name"].get<std::string>().c_str(), v["bytes"].get<double>() / 1e6, v["bpw"].get<double>(), v["ppl"].get<double>(),
                v["kld_mean"].get<double>(), v["kld_p99"].get<double>(), v["top1_agreement"].get<double>(),
                mcText,
                v["pp_tokens_per_second"].get<double>(), v["tg_tokens_per_second"].get<double>(), v.value("reused", false) ? "  (reused)" : "");
}

} // namespace

int cmdSweep(const Argv& argv) {
    Args args(argv, {"--json", "--act-order"},
              {"--types", "--text", "-f", "--tasks", "--calib", "--reference", "--ctx", "-c", "--chunks", "--device", "--threads", "--kv-type",
               "--out", "-o", "--tokenizer", "--pp", "--tg", "-r", "--group"});
    if (args.positional().size() != 1) throw qb::Error("sweep: expected one MODEL path");
    qb::SweepOptions o;
    o.modelPath = args.positional()[0];
    o.tokenizerPath = args.get("--tokenizer");
    o.variants = qb::parseSweepTypes(args.get("--types", "F16,Q8_0,Q6_K,Q4_K_M,Q4_0,Q3_K_M,Q2_K,FP8,INT8"));
    o.textPath = args.has("--text") ? args.get("--text") : args.get("-f");
    if (o.textPath.empty()) throw qb::Error("sweep: --text FILE is required (the evaluation text)");
    o.tasksPath = args.get("--tasks");
    o.calibrationPath = args.get("--calib");
    std::string reference = args.get("--reference", "SOURCE");
    for (char& c : reference) c = char(std::toupper(static_cast<unsigned char>(c)));
    o.reference = reference;
    o.outDir = args.has("--out") ? args.get("--out") : args.get("-o");
    if (o.outDir.empty()) throw qb::Error("sweep: --out DIR is required (quantized files and results.json go there)");
    o.ctx = args.has("-c") ? args.getInt("-c", 512) : args.getInt("--ctx", 512);
    o.chunks = args.getInt("--chunks", -1);
    o.run = runOptions(args, 0);
    o.benchPp = args.getInt("--pp", 128);
    o.benchTg = args.getInt("--tg", 32);
    o.benchRepetitions = args.getInt("-r", 2);
    if (o.benchPp < 0 || o.benchTg < 0 || o.benchRepetitions < 1) throw qb::Error("sweep: expected --pp >= 0, --tg >= 0 and -r >= 1");
    o.group = args.getInt("--group", 32);
    if (o.group != 32 && o.group != 64 && o.group != 128) throw qb::Error("option '--group': " + std::to_string(o.group) + ", expected 32, 64 or 128");
    o.actOrder = args.flag("--act-order");
    o.quantizeThreads = threadCount(args);
    const bool json = args.flag("--json");

    JobProgress progress;
    if (!json)
        std::printf("%-14s %13s %10s %13s %14s %13s %12s %9s %11s %14s\n", "variant", "size", "", "perplexity", "KLD mean", "KLD p99", "top-1",
                    "mc", "prefill", "decode");
    const nlohmann::json results = qb::runSweep(o, progress.job(), [&](const nlohmann::json& v) {
        progress.finish();
        if (!json) printVariantLine(v);
        std::fflush(stdout);
    });
    progress.finish();
    if (json) {
        std::printf("%s\n", results.dump(2).c_str());
        return 0;
    }
    const auto& ref = results["reference_metrics"];
    std::printf("reference %s (%s): ppl %.4f +/- %.4f; device %s\n", results["reference"].get<std::string>().c_str(),
                results["reference_path"].get<std::string>().c_str(), ref["ppl"].get<double>(), ref["ppl_stderr"].get<double>(),
                results["evaluation"]["device"].get<std::string>().c_str());
    std::printf("method: %s\nresults: %s/results.json\n", results["evaluation"]["method"].get<std::string>().c_str(), o.outDir.c_str());
    for (const auto& v : results["variants"])
        for (const auto& n : v.value("notes", nlohmann::json::array())) std::printf("note: %s: %s\n", v["name"].get<std::string>().c_str(), n.get<std::string>().c_str());
    return 0;
}

int cmdRecommend(const Argv& argv) {
    Args args(argv, {"--json"}, {"--use-case", "--max-ppl-increase", "--max-kld", "--max-bytes", "--ctx"});
    if (args.positional().size() != 1) throw qb::Error("recommend: expected one results.json path");
    const nlohmann::json results = qb::loadResults(args.positional()[0]);
    qb::RecommendOptions o;
    o.useCase = args.get("--use-case", "chat");
    if (args.has("--max-ppl-increase")) o.maxPplIncrease = qb::parseFraction(args.get("--max-ppl-increase"), "--max-ppl-increase");
    if (args.has("--max-kld")) o.maxKld = qb::parseFraction(args.get("--max-kld"), "--max-kld");
    if (args.has("--max-bytes")) o.maxBytes = qb::parseBytes(args.get("--max-bytes"), "--max-bytes");
    o.ctx = args.getInt("--ctx", 0);
    if (o.ctx < 0) throw qb::Error("option '--ctx': expected a positive number of tokens");
    const qb::Recommendation r = qb::recommend(results, o);
    if (args.flag("--json")) {
        std::printf("%s\n", qb::toJson(r).dump(2).c_str());
        return 0;
    }
    std::printf("%s\n%s\n", r.choice ? r.choice->c_str() : "(none)", r.explanation.c_str());
    return 0;
}

} // namespace qbcli
