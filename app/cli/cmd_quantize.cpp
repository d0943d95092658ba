// quantbench-cli quantize / imatrix.
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "model/hf_export.h"
#include "quant/calibration.h"
#include "quant/imatrix.h"
#include "quant/quantizer.h"

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

qb::CalibrationStats calibrate(const qb::Model& model, const std::string& textPath, bool hessians, int sampleRows, const Args& args) {
    qb::CalibrationOptions co;
    co.ctx = args.getInt("--ctx", 512);
    co.maxChunks = args.getInt("--chunks", 0);
    co.hessians = hessians;
    co.sampleRows = sampleRows;
    co.threads = threadCount(args);
    Progress progress("calibration");
    co.progress = [&](int done, int total) {
        progress.update(done, total, "chunks");
        return true;
    };
    auto stats = qb::collectCalibration(model, readTextFile(textPath), co);
    progress.finish();
    return stats;
}

nlohmann::json reportJson(const qb::QuantizeReport& r) {
    nlohmann::json j{{"input", r.input},           {"output", r.output},       {"recipe", r.recipe},
                     {"method", r.method},         {"input_bytes", r.inputBytes}, {"output_bytes", r.outputBytes},
                     {"weight_bytes_in", r.weightBytesIn}, {"weight_bytes_out", r.weightBytesOut},
                     {"n_params", r.parameters},   {"seconds", r.seconds},     {"threads", r.threads},
                     {"bits_per_weight", r.parameters ? 8.0 * double(r.weightBytesOut) / double(r.parameters) : 0.0},
                     {"input_mb_per_second", r.seconds > 0 ? double(r.weightBytesIn) / 1e6 / r.seconds : 0.0}};
    j["tensors"] = nlohmann::json::array();
    for (const auto& t : r.tensors)
        j["tensors"].push_back({{"name", t.name}, {"source_type", t.sourceType}, {"type", t.type}, {"shape", t.shape},
                                {"source_bytes", t.sourceBytes}, {"bytes", t.bytes}, {"method", t.method}, {"rmse", t.rmse}, {"max_abs_error", t.maxAbsError},
                                {"snr_db", std::isfinite(t.snrDb) ? nlohmann::json(t.snrDb) : nlohmann::json(nullptr)},
                                {"rel_frobenius", t.relFrobenius}});
    return j;
}

} // namespace

int cmdQuantize(const Argv& argv) {
    Args args(argv, {"--json", "--pure", "--act-order"},
              {"--type", "--method", "--imatrix", "--calib", "--group", "--threads", "--tokenizer", "--ctx", "--chunks", "--damp", "--report", "--act", "--format"});
    if (args.positional().size() != 2) throw qb::Error("quantize: expected IN and OUT paths");
    const std::string in = args.positional()[0], out = args.positional()[1];
    if (!args.has("--type")) throw qb::Error("quantize: --type TYPE|RECIPE is required (e.g. Q4_K_M, Q8_0, F16)");
    const auto model = loadInput(args, in);
    qb::QuantizeOptions o;
    o.target = args.get("--type");
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
    qb::ImportanceMatrix imatrix;
    qb::CalibrationStats calibration;
    const std::string calib = args.get("--calib");
    if (o.method == qb::QuantMethod::Imatrix || (args.has("--imatrix") && o.method == qb::QuantMethod::Rtn)) {
        if (args.has("--imatrix")) imatrix = qb::ImportanceMatrix::load(args.get("--imatrix"));
        else if (!calib.empty()) imatrix = qb::ImportanceMatrix::fromCalibration(calibrate(*model, calib, false, 0, args), 0, calib);
        else throw qb::Error("quantize: --method imatrix needs --imatrix FILE or --calib FILE");
        o.imatrix = &imatrix;
        o.method = qb::QuantMethod::Imatrix;
    }
    if (o.method == qb::QuantMethod::Gptq || o.method == qb::QuantMethod::Awq || o.staticActivations) {
        if (calib.empty() && o.staticActivations) throw qb::Error("quantize: --act static needs --calib FILE (calibration text)");
        if (calib.empty()) throw qb::Error(std::string("quantize: --method ") + qb::methodName(o.method) + " needs --calib FILE (calibration text)");
        calibration = calibrate(*model, calib, o.method == qb::QuantMethod::Gptq, o.method == qb::QuantMethod::Awq ? 256 : 0, args);
        o.calibration = &calibration;
    }
    if (!calib.empty()) o.calibrationSource = std::filesystem::path(calib).filename().string();

    Progress progress("quantize");
    o.progress = [&](const qb::QuantizeProgress& p) {
        progress.update(double(p.bytesDone), double(p.bytesTotal), "bytes, tensor " + std::to_string(p.tensorIndex) + "/" +
                                                                         std::to_string(p.tensorCount) + " " + p.tensorName);
        return true;
    };
    const std::string format = args.get("--format", "gguf");
    if (format != "gguf" && format != "safetensors") throw qb::Error("option '--format': '" + format + "', expected gguf or safetensors");
    qb::QuantizeReport r;
    if (format == "gguf") {
        r = qb::quantizeModel(*model, out, o);
    } else { // quantize to a scratch GGUF, export it as an HF directory, keep only the directory
        namespace fs = std::filesystem;
        if (fs::exists(out)) throw qb::fileError(out, "already exists: choose a new directory for the safetensors export");
        const std::string scratch = out + ".quantbench.gguf", partDir = out + ".part";
        try {
            r = qb::quantizeModel(*model, scratch, o);
            fs::remove_all(partDir);
            qb::exportHfDirectory(*qb::loadModel(scratch), partDir, 1);
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
    const nlohmann::json j = reportJson(r);
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
    const auto stats = calibrate(*model, text, false, 0, args);
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
