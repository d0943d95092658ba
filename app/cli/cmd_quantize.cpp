// quantbench-cli quantize / imatrix.
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "model/hf_export.h"
#include "quant/calibration.h"
#include "quant/imatrix.h"
#include "quant/quantize_job.h"
#include "eval/results.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace qbcli {

namespace {

std::unique_ptr<qb::Model> loadInput(const Args& args, const std::string& path) {
    qb::LoadOptions o;
    o.tokenizerPath = args.get("--tokenizer");
    auto m = qb::loadModel(path, o);
    if (m->tensors.empty()) throw qb::fileError(path, "holds only a tokenizer, no weights to quantize");
    return m;
}

} // namespace

int cmdQuantize(const Argv& argv) {
    Args args(argv, {"--json", "--pure", "--act-order"},
              {"--type", "--method", "--imatrix", "--calib", "--group", "--threads", "--tokenizer", "--ctx", "--chunks", "--damp", "--report", "--act",
               "--format", "--target-bpw", "--target-bytes", "--max-kld", "--types"});
    if (args.positional().size() != 2) throw qb::Error("quantize: expected IN and OUT paths");
    const std::string in = args.positional()[0], out = args.positional()[1];
    std::optional<qb::MixTarget> mix;
    for (auto [option, goal] : {std::pair{"--target-bpw", qb::MixGoal::BitsPerWeight}, std::pair{"--target-bytes", qb::MixGoal::FileBytes},
                                std::pair{"--max-kld", qb::MixGoal::MaxKld}}) {
        if (!args.has(option)) continue;
        if (mix) throw qb::Error("quantize: options '" + mix->option() + "' and '" + option + "' both set, expected one mix target");
        mix = qb::MixTarget{goal, args.getDouble(option, 0)};
    }
    if (mix && args.has("--type")) throw qb::Error("quantize: options '--type' and '" + mix->option() + "' both set, expected a type or a mix target");
    if (mix && args.flag("--pure")) throw qb::Error("quantize: option '--pure' is for --type, a mix (" + mix->option() + ") chooses every tensor's type");
    if (!mix && args.has("--types")) throw qb::Error("quantize: option '--types' lists a mix's candidates, expected with --target-bpw, --target-bytes or --max-kld");
    if (!mix && !args.has("--type"))
        throw qb::Error("quantize: --type TYPE|RECIPE is required (e.g. Q4_K_M, Q8_0, F16), or a mix target (--target-bpw 4.5)");
    const auto model = loadInput(args, in);
    qb::QuantizeOptions o;
    o.target = args.get("--type", "Q8_0");
    o.pure = args.flag("--pure");
    const auto method = qb::methodFromName(args.get("--method", "rtn"));
    if (!method) throw qb::Error("option '--method': '" + args.get("--method") + "', expected rtn, imatrix, gptq or awq");
    o.method = *method;
    o.group = args.getInt("--group", 32);
    if (o.group != 32 && o.group != 64 && o.group != 128) throw qb::Error("option '--group': " + std::to_string(o.group) + ", expected 32, 64 or 128");
    o.actOrder = args.flag("--act-order");
    o.damp = float(args.getDouble("--damp", 0.01));
    o.threads = threadCount(args);
    const std::string act = args.get("--act", "dynamic");
    if (act != "dynamic" && act != "static") throw qb::Error("option '--act': '" + act + "', expected dynamic or static");
    o.staticActivations = act == "static";
    qb::QuantizeSpec spec;
    spec.options = o;
    spec.calibrationText = args.get("--calib");
    spec.imatrixPath = args.get("--imatrix");
    spec.calibrationCtx = args.getInt("--ctx", 0); // 0: the method's default
    spec.calibrationChunks = args.getInt("--chunks", 0);
    spec.mixTarget = mix;
    if (args.has("--types")) spec.mixTypes = qb::parseMixTypes(args.get("--types"));
    qb::validateQuantizeSpec(spec);
    JobProgress progress;
    const std::string format = args.get("--format", "gguf");
    if (format != "gguf" && format != "safetensors") throw qb::Error("option '--format': '" + format + "', expected gguf or safetensors");
    qb::QuantizeReport r;
    if (format == "gguf") {
        r = qb::runQuantize(*model, out, spec, progress.job());
    } else { // quantize to a scratch GGUF, export it as an HF directory, keep only the directory
        namespace fs = std::filesystem;
        if (fs::exists(out)) throw qb::fileError(out, "already exists: choose a new directory for the safetensors export");
        const std::string scratch = out + ".quantbench.gguf", partDir = out + ".part";
        try {
            r = qb::runQuantize(*model, scratch, spec, progress.job());
            fs::remove_all(partDir);
            qb::Job& job = progress.job();
            bool begun = false;
            qb::exportHfDirectory(*qb::loadModel(scratch), partDir, 1, [&](uint64_t done, uint64_t total) {
                if (!begun) job.begin("export", double(total), "bytes");
                begun = true;
                job.step(double(done)); // throws when cancelled
                return true;
            });
            fs::rename(partDir, out);
            fs::remove(scratch);
        } catch (...) {
            std::error_code ec;
            fs::remove(scratch, ec);
            fs::remove_all(partDir, ec);
            throw;
        }
        r.output = out;
        r.outputBytes = 0;
        for (const auto& e : fs::directory_iterator(out)) r.outputBytes += e.is_regular_file() ? e.file_size() : 0;
    }
    progress.finish();
    const nlohmann::json j = qb::toJson(r);
    if (args.has("--report")) {
        const std::string path = args.get("--report");
        FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) throw qb::fileError(path, "cannot create the report");
        std::fputs(j.dump(2).c_str(), f);
        std::fclose(f);
    }
    if (args.flag("--json")) {
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%-44s %-6s %-6s %10s %9s %9s\n", "tensor", "from", "to", "bytes", "SNR dB", "rel err");
    for (const auto& t : r.tensors)
        std::printf("%-44s %-6s %-6s %10llu %9.2f %9.5f\n", t.name.c_str(), t.sourceType.c_str(), t.type.c_str(), (unsigned long long)t.bytes,
                    std::isfinite(t.snrDb) ? t.snrDb : 999.0, t.relFrobenius);
    if (r.mix) {
        const qb::MixReport& m = *r.mix;
        std::printf("\nmix %s from %d forward passes of %d tokens on %s (cpu reference, %.1f s): predicted KLD %.6f, measured %.6f\n",
                    m.target.c_str(), m.sensitivity.forwardPasses, m.sensitivity.ctx, m.calibration.c_str(), m.sensitivity.seconds,
                    m.predictedKld, m.measuredKld);
    }
    if (r.awq) {
        const qb::AwqReport& a = *r.awq;
        int scaled = 0, clipped = 0;
        for (const auto& g : a.groups) scaled += g.kept ? 1 : 0;
        for (const auto& c : a.clips) clipped += c.kept ? 1 : 0;
        std::printf("\nawq: %d calibration tokens, %d chunks searched, %d held out (%.1f s): scales kept for %d of %d groups, clipping for %d of %d "
                    "weights\n",
                    a.tokens, a.searchChunks, a.heldOutChunks, a.seconds, scaled, int(a.groups.size()), clipped, int(a.clips.size()));
    }
    if (r.gptq)
        std::printf("\ngptq: %lld calibration tokens in %d chunks, layer by layer (cpu reference, %.1f s): %d tensors, group %d%s\n",
                    (long long)r.gptq->tokens, r.gptq->chunks, r.gptq->seconds, r.gptq->tensors, r.gptq->group, r.gptq->actOrder ? ", act-order" : "");
    std::printf("\n%s -> %s: %s, method %s, %llu -> %llu bytes (%.3f bits/weight) in %.2f s on %d threads (%.1f MB/s of input weights)\n",
                r.input.c_str(), r.output.c_str(), r.recipe.c_str(), r.method.c_str(), (unsigned long long)r.inputBytes,
                (unsigned long long)r.outputBytes, j["bits_per_weight"].get<double>(), r.seconds, r.threads,
                j["input_mb_per_second"].get<double>());
    return 0;
}

int cmdImatrix(const Argv& argv) {
    Args args(argv, {"--json"}, {"--text", "-f", "-o", "--output", "--ctx", "--chunks", "--threads", "--tokenizer"});
    if (args.positional().size() != 1) throw qb::Error("imatrix: expected one MODEL path");
    const std::string text = args.has("--text") ? args.get("--text") : args.get("-f");
    const std::string out = args.has("-o") ? args.get("-o") : args.get("--output", "imatrix.dat");
    if (text.empty()) throw qb::Error("imatrix: --text FILE (calibration text) is required");
    const auto model = loadInput(args, args.positional()[0]);
    JobProgress progress;
    const auto stats = qb::calibrateFromText(*model, text, args.getInt("--ctx", 512), args.getInt("--chunks", 0), threadCount(args),
                                             progress.job());
    progress.finish();
    int64_t tokens = 0; // per weight: every weight sees every calibration token
    for (const auto& [n, s] : stats) tokens = std::max(tokens, s.tokens);
    const auto m = qb::ImportanceMatrix::fromCalibration(stats, 1, std::filesystem::path(text).filename().string());
    m.save(out);
    if (args.flag("--json"))
        std::printf("%s\n", nlohmann::json{{"output", out}, {"entries", m.values.size()}, {"tokens", tokens}}.dump().c_str());
    else
        std::printf("imatrix: %zu tensors from %lld tokens of %s written to %s\n", m.values.size(), (long long)tokens, text.c_str(), out.c_str());
    return 0;
}

} // namespace qbcli
