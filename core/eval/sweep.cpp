#include "eval/sweep.h"

#include "common/error.h"
#include "common/read_file.h"
#include "eval/kld.h"
#include "eval/memory.h"
#include "eval/multiple_choice.h"
#include "eval/perplexity.h"
#include "eval/speed.h"
#include "quant/quantize_job.h"
#include "quant/recipe.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace qb {

namespace fs = std::filesystem;

namespace {

std::string upper(std::string s) {
    for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool isCalibrated(QuantMethod m) { return m != QuantMethod::Rtn; }
bool isCalibrated(const SweepVariant& v) { return isCalibrated(v.method) || v.mixBpw > 0; }

// Identity of an input file for provenance: absolute path, size, modification time.
nlohmann::json fileIdentity(const std::string& path) {
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec);
    nlohmann::json j{{"path", abs.lexically_normal().string()}};
    if (fs::is_regular_file(path, ec)) {
        j["bytes"] = fs::file_size(path, ec);
        j["mtime"] = int64_t(std::chrono::duration_cast<std::chrono::seconds>(fs::last_write_time(path, ec).time_since_epoch()).count());
    }
    return j;
}

uint64_t pathBytes(const std::string& path) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return fs::file_size(path, ec);
    uint64_t n = 0;
    if (fs::is_directory(path, ec))
        for (const auto& e : fs::recursive_directory_iterator(path, ec)) n += e.is_regular_file(ec) ? e.file_size(ec) : 0;
    return n;
}

std::string modelStem(const std::string& path) {
    fs::path p(path);
    if (p.filename().empty()) p = p.parent_path();
    return p.extension() == ".gguf" || p.extension() == ".bin" ? p.stem().string() : p.filename().string();
}

// The reference's logits per chunk, kept when they fit the budget (else the
// reference runs again for each variant).
class ReferenceLogits {
public:
    ReferenceLogits(ForwardPass& fwd, uint64_t chunkBytes, int chunks, uint64_t budget)
        : m_run(chunkEvaluator(fwd)), m_keep(chunkBytes * uint64_t(chunks) <= budget) {}
    void evaluate(const std::vector<int>& chunk, std::vector<float>& logits) {
        auto it = m_cache.find(chunk);
        if (it != m_cache.end()) {
            logits = it->second;
            return;
        }
        m_run(chunk, logits);
        if (m_keep) m_cache.emplace(chunk, logits);
    }

private:
    ChunkEvaluator m_run;
    bool m_keep;
    std::map<std::vector<int>, std::vector<float>> m_cache;
};

// A job for one variant's stages: the outer job's cancel token and callback,
// its stages named "[i/n] NAME: stage".
Job variantJob(Job& outer, const std::string& prefix) {
    const ProgressFn& cb = outer.callback();
    return Job(
        [cb, prefix](const ProgressEvent& e) {
            if (!cb) return;
            ProgressEvent f = e;
            f.stage = prefix + ": " + e.stage;
            cb(f);
        },
        outer.token());
}

struct Quantized {
    std::string path;
    nlohmann::json report; // the quantizer's report (with per-tensor errors)
    bool reused = false;
};

nlohmann::json provenanceOf(const SweepVariant& v, const SweepOptions& o) {
    nlohmann::json p{{"source", fileIdentity(o.modelPath)}, {"type", v.type}, {"method", methodName(v.method)}};
    if (v.method == QuantMethod::Gptq || v.method == QuantMethod::Awq) p["group"] = o.group;
    if (v.method == QuantMethod::Gptq) p["act_order"] = o.actOrder;
    if (isCalibrated(v)) p["calibration"] = fileIdentity(o.calibrationPath);
    if (v.mixBpw > 0) p["mix_ctx"] = kCalibrationCtx;
    // the AWQ search's version and chunk length: a file from an earlier AWQ is made again, not reused
    if (v.method == QuantMethod::Awq) p["awq"] = {{"search", "layer output, clipping, held out"}, {"ctx", kAwqCalibrationCtx}};
    // GPTQ layer by layer (the quantized layers' outputs feed the next): a file from the one-pass GPTQ is made again
    if (v.method == QuantMethod::Gptq) p["gptq"] = {{"calibration", "layer by layer"}, {"ctx", kCalibrationCtx}};
    return p;
}

std::string variantFile(const SweepVariant& v, const SweepOptions& o) {
    std::string name = modelStem(o.modelPath) + "-" + (v.mixBpw > 0 ? "auto" + v.type.substr(5) + "bpw" : v.type);
    if (v.method != QuantMethod::Rtn) name += std::string("-") + methodName(v.method);
    return (fs::path(o.outDir) / (name + ".gguf")).string();
}

// Quantizes `v` into the output folder, or reuses the file there when its
// sidecar (FILE.provenance.json) records the same provenance.
// Mixes share one sensitivity measurement (`measured`, filled by the first).
Quantized quantizeVariant(const Model& source, const SweepVariant& v, const SweepOptions& o, Job& job,
                          std::shared_ptr<const SensitivityTable>* measured = nullptr) {
    Quantized q;
    q.path = variantFile(v, o);
    const std::string sidecar = q.path + ".provenance.json";
    const nlohmann::json provenance = provenanceOf(v, o);
    std::error_code ec;
    if (fs::exists(q.path, ec) && fs::exists(sidecar, ec)) {
        try {
            const nlohmann::json old = nlohmann::json::parse(readWholeFile(sidecar, "provenance file"));
            if (old.value("provenance", nlohmann::json()) == provenance && old.value("bytes", uint64_t(0)) == pathBytes(q.path)) {
                q.report = old.at("report");
                q.reused = true;
                return q;
            }
        } catch (const nlohmann::json::exception&) { // unreadable: quantize again
        }
    }
    fs::remove(sidecar, ec);
    QuantizeSpec spec;
    spec.options.target = v.type;
    spec.options.method = v.method;
    spec.options.group = o.group;
    spec.options.actOrder = o.actOrder;
    spec.options.threads = o.quantizeThreads;
    if (isCalibrated(v)) spec.calibrationText = o.calibrationPath;
    if (v.mixBpw > 0) {
        spec.mixTarget = MixTarget{MixGoal::BitsPerWeight, v.mixBpw};
        if (measured) spec.mixMeasured = *measured;
    }
    const QuantizeReport report = runQuantize(source, q.path, spec, job);
    if (report.mix && measured && !*measured) *measured = std::make_shared<const SensitivityTable>(report.mix->sensitivity);
    q.report = toJson(report);
    const nlohmann::json side{{"provenance", provenance}, {"bytes", pathBytes(q.path)}, {"report", q.report}, {"tool_version", toolVersion()}};
    std::ofstream out(sidecar, std::ios::binary | std::ios::trunc);
    out << side.dump(2) << "\n";
    if (!out) throw fileError(sidecar, "cannot write the provenance file", ErrorKind::Internal);
    return q;
}

nlohmann::json fallbacksOf(const nlohmann::json& report, nlohmann::json& notes) {
    nlohmann::json list = nlohmann::json::array();
    std::map<std::string, int> counts;
    for (const auto& t : report.value("tensors", nlohmann::json::array()))
        if (t.contains("fallback_from")) {
            list.push_back({{"tensor", t["name"]}, {"wanted", t["fallback_from"]}, {"used", t["type"]}, {"row_length", t["shape"][0]}});
            ++counts[t["fallback_from"].get<std::string>() + " -> " + t["type"].get<std::string>()];
        }
    for (const auto& [what, n] : counts)
        notes.push_back(std::to_string(n) + " tensor(s) " + what +
                        ": rows not a multiple of the type's block size, the fallback llama-quantize uses");
    return list;
}

double bitsPerWeight(const Model& m) { return m.parameterCount() ? 8.0 * double(m.weightBytes()) / double(m.parameterCount()) : 0.0; }

nlohmann::json modelJson(const Model& m) {
    return {{"path", fileIdentity(m.path)["path"]},
            {"name", modelStem(m.path)},
            {"architecture", m.config.archName},
            {"n_params", m.parameterCount()},
            {"bytes", pathBytes(m.path)},
            {"weight_bytes", m.weightBytes()},
            {"bpw", bitsPerWeight(m)},
            {"n_layers", m.config.nLayers},
            {"n_vocab", m.config.vocabSize},
            {"context_length", m.config.contextLength},
            {"synthetic", m.config.synthetic}};
}

// What a model measures by itself: multiple choice, speed and memory.
struct OwnMeasures {
    nlohmann::json mc, speed, memory;
    uint64_t hostPeak = 0;
};

OwnMeasures measureOwn(Runner& runner, const Model& model, const SweepOptions& o, const std::vector<McTask>& tasks, int capacity, Job& job) {
    OwnMeasures m;
    if (!tasks.empty()) {
        const auto tokens = tokenizeMcTasks(model, tasks);
        m.mc = toJson(evaluateMc(*runner.forward, model, tasks, tokens, job));
    }
    if (o.benchPp + o.benchTg > 0) m.speed = toJson(measureSpeed(*runner.forward, model.config.vocabSize, o.benchPp, o.benchTg, o.benchRepetitions, job));
    const MemoryUse used = runner.forward->memoryUse();
    m.memory = toJson(used);
    m.memory["context"] = capacity;
    m.memory["kv_cache_bytes_per_token"] = capacity > 0 ? double(used.kvCache) / capacity : 0.0;
    m.memory["where"] = runner.device == "cpu" ? "host" : "device";
    m.memory["estimate"] = toJson(estimateMemory(model, runner.device, capacity, o.run.kvType, std::max(o.ctx, o.benchPp)));
    m.hostPeak = hostMemory().peakResidentBytes;
    return m;
}

void putOwn(nlohmann::json& e, const OwnMeasures& m) {
    e["mc"] = m.mc.is_null() ? nlohmann::json(nullptr) : m.mc;
    const nlohmann::json speed = m.speed.is_null() ? nlohmann::json::object() : m.speed;
    e["pp_tokens_per_second"] = speed.value("pp_tokens_per_second", 0.0);
    e["pp_stddev"] = speed.value("pp_stddev", 0.0);
    e["tg_tokens_per_second"] = speed.value("tg_tokens_per_second", 0.0);
    e["tg_stddev"] = speed.value("tg_stddev", 0.0);
    e["ttft_seconds"] = speed.value("ttft_seconds", 0.0);
    e["memory"] = m.memory;
    e["host_peak_rss_bytes"] = m.hostPeak;
}

int runnerCapacity(const SweepOptions& o, const Model& m, const std::vector<McTask>& tasks) {
    int cap = std::max({o.ctx, o.benchPp + 1, o.benchTg + 1});
    if (!tasks.empty()) cap = std::max(cap, mcContextNeeded(tokenizeMcTasks(m, tasks)));
    return cap;
}

} // namespace

std::vector<SweepVariant> parseSweepTypes(const std::string& list) {
    std::vector<SweepVariant> out;
    std::stringstream ss(list);
    int index = 0;
    for (std::string item; std::getline(ss, item, ',');) {
        ++index;
        item = trim(item);
        const std::string where = "option '--types': entry " + std::to_string(index) + " '" + item + "'";
        if (item.empty()) throw Error(where + ": empty, expected TYPE or TYPE:METHOD");
        SweepVariant v;
        v.name = item;
        const size_t colon = item.find(':');
        v.type = upper(trim(item.substr(0, colon)));
        if (v.type.rfind("AUTO@", 0) == 0) { // a mix: AUTO@BITS
            const std::string bits = v.type.substr(5);
            char* end = nullptr;
            v.mixBpw = bits.empty() ? 0.0 : std::strtod(bits.c_str(), &end);
            if (bits.empty() || *end != '\0' || !(v.mixBpw > 0 && v.mixBpw < 32))
                throw Error(where + ": '" + bits + "' after AUTO@, expected bits per weight between 0 and 32 (AUTO@4.5)");
        } else if (!recipeFromName(v.type)) {
            std::string names;
            for (const auto& n : recipeNames()) names += (names.empty() ? "" : " ") + n;
            throw Error(where + ": unknown type '" + v.type + "', expected one of " + names + " or AUTO@BITS (a mix)");
        }
        if (colon != std::string::npos) {
            const std::string m = trim(item.substr(colon + 1));
            const auto method = methodFromName(m);
            if (!method) throw Error(where + ": unknown method '" + m + "', expected rtn, imatrix, gptq or awq");
            v.method = *method;
        }
        for (const auto& w : out)
            if (w.type == v.type && w.method == v.method) throw Error(where + ": the same variant as '" + w.name + "'");
        out.push_back(v);
    }
    if (out.empty()) throw Error("option '--types': expected a comma-separated list of types, e.g. F16,Q8_0,Q4_K_M");
    return out;
}

nlohmann::json runSweep(const SweepOptions& o, Job& job, const std::function<void(const nlohmann::json&)>& onVariant) {
    SweepEvents events;
    events.variantFinished = onVariant;
    return runSweep(o, job, events);
}

nlohmann::json runSweep(const SweepOptions& o, Job& job, const SweepEvents& events) {
    if (o.variants.empty()) throw Error("sweep: no variants to make (--types)");
    if (o.reference != "SOURCE" && o.reference != "F16") throw Error("option '--reference': '" + o.reference + "', expected F16 or SOURCE");
    for (const auto& v : o.variants)
        if (isCalibrated(v) && o.calibrationPath.empty())
            throw Error("sweep: variant '" + v.name + "' needs a calibration text (--calib FILE)");
    if (o.textPath.empty()) throw Error("sweep: --text FILE is required");
    std::error_code ec;
    fs::create_directories(o.outDir, ec);
    if (!fs::is_directory(o.outDir)) throw fileError(o.outDir, "cannot create the output folder" + (ec ? ": " + ec.message() : std::string()));
    const std::string resultsPath = (fs::path(o.outDir) / "results.json").string();

    const auto source = loadRunnableModel(o.modelPath, o.tokenizerPath);
    if (source->config.synthetic)
        throw fileError(source->path, "general.synthetic is true: quality measures of synthetic (random) weights mean nothing");
    const std::vector<int> tokens = tokenizeEvalText(*source, readWholeFile(o.textPath, "evaluation text"));
    const int chunks = perplexityChunks(tokens.size(), o.ctx, o.chunks);
    const std::vector<McTask> tasks = o.tasksPath.empty() ? std::vector<McTask>{} : loadMcTasks(o.tasksPath);

    // the reference: the model as given, or its F16 quantization
    std::unique_ptr<Model> referenceOwned;
    const Model* reference = source.get();
    nlohmann::json referenceProvenance{{"source", fileIdentity(o.modelPath)}, {"type", "SOURCE"}};
    if (o.reference == "F16") {
        SweepVariant f16{"F16", "F16", QuantMethod::Rtn};
        Job rj = variantJob(job, "reference F16");
        const Quantized q = quantizeVariant(*source, f16, o, rj);
        referenceOwned = loadRunnableModel(q.path);
        reference = referenceOwned.get();
        referenceProvenance = provenanceOf(f16, o);
    }
    RunOptions ro = o.run;
    ro.contextLength = runnerCapacity(o, *reference, tasks);
    const auto refRunner = openRunner(*reference, ro);
    nlohmann::json evaluation{{"text", fileIdentity(o.textPath)},
                              {"tasks", o.tasksPath.empty() ? nlohmann::json(nullptr) : fileIdentity(o.tasksPath)},
                              {"ctx", o.ctx},
                              {"chunks", chunks},
                              {"kv_type", kvCacheTypeName(o.run.kvType)},
                              {"device", refRunner->label},
                              {"bench", {{"pp", o.benchPp}, {"tg", o.benchTg}, {"repetitions", o.benchRepetitions}}},
                              {"reference", referenceProvenance},
                              {"method", "llama-perplexity's chunks (ctx " + std::to_string(o.ctx) +
                                             ", second half scored); KLD over the full vocabulary against the reference in one process; "
                                             "mc: acc/acc_norm as lm-eval, acc_per_token as llama-perplexity --hellaswag; speed as llama-bench"}};

    nlohmann::json results;
    std::map<std::string, nlohmann::json> reusable;
    if (fs::exists(resultsPath, ec)) {
        const nlohmann::json old = loadResults(resultsPath);
        for (const auto& v : old["variants"])
            if (v["status"] == "ok" && v.value("evaluation", nlohmann::json()) == evaluation) reusable[v["name"].get<std::string>()] = v;
    }

    results["schema_version"] = kResultsSchemaVersion;
    results["tool_version"] = toolVersion();
    results["created"] = utcTimestamp();
    results["model"] = modelJson(*source);
    results["reference"] = o.reference;
    results["reference_path"] = fileIdentity(reference->path)["path"];
    results["evaluation"] = evaluation;
    results["variants"] = nlohmann::json::array();

    // the reference measured once: its perplexity (logits kept for the KLDs), mc, speed, memory
    ReferenceLogits refLogits(*refRunner->forward, uint64_t(o.ctx) * uint64_t(reference->config.vocabSize) * 4, chunks, o.referenceCacheBytes);
    const ChunkEvaluator evalRef = [&](const std::vector<int>& chunk, std::vector<float>& logits) { refLogits.evaluate(chunk, logits); };
    {
        Job rj = variantJob(job, "reference");
        const PerplexityResult p = computePerplexity(tokens, evalBos(*reference->vocab), o.ctx, o.chunks, reference->config.vocabSize, evalRef, rj);
        nlohmann::json ref{{"ppl", p.ppl}, {"ppl_stderr", p.pplStderr}, {"bytes", pathBytes(reference->path)},
                           {"bpw", bitsPerWeight(*reference)}};
        putOwn(ref, measureOwn(*refRunner, *reference, o, tasks, ro.contextLength, rj));
        results["reference_metrics"] = ref;
    }
    results["updated"] = utcTimestamp();
    saveResults(resultsPath, results);
    if (events.referenceMeasured) events.referenceMeasured(results);

    const int n = int(o.variants.size());
    std::shared_ptr<const SensitivityTable> mixMeasured; // the AUTO@ variants' shared measurement
    for (int i = 0; i < n; ++i) {
        const SweepVariant& v = o.variants[size_t(i)];
        std::string prefix = "[";
        prefix.append(std::to_string(i + 1)).append("/").append(std::to_string(n)).append("] ").append(v.name);
        Job vj = variantJob(job, prefix);
        if (events.variantStarted) events.variantStarted(i);
        nlohmann::json e{{"name", v.name}, {"type", v.type}, {"method", methodName(v.method)}, {"provenance", provenanceOf(v, o)}};
        const auto it = reusable.find(v.name);
        if (it != reusable.end() && it->second.value("provenance", nlohmann::json()) == e["provenance"] &&
            fs::exists(it->second.value("file", std::string()), ec)) {
            e = it->second;
            e["reused"] = true;
        } else {
            e["started"] = utcTimestamp();
            try {
                vj.checkCancel();
                const Quantized q = quantizeVariant(*source, v, o, vj, &mixMeasured);
                const auto model = loadRunnableModel(q.path);
                RunOptions vo = o.run;
                vo.contextLength = runnerCapacity(o, *model, tasks);
                const auto runner = openRunner(*model, vo);
                const KldResult k = computeKld(tokens, evalBos(*reference->vocab), o.ctx, o.chunks, reference->config.vocabSize, evalRef,
                                               chunkEvaluator(*runner->forward), vj);
                e["status"] = "ok";
                e["file"] = q.path;
                e["quantized_now"] = !q.reused;
                e["bytes"] = pathBytes(q.path);
                e["weight_bytes"] = model->weightBytes();
                e["n_params"] = model->parameterCount();
                e["bpw"] = bitsPerWeight(*model);
                e["recipe"] = q.report.value("recipe", v.type);
                e["quantize_seconds"] = q.report.value("seconds", 0.0);
                e.update(toJson(k));
                e.erase("seconds");
                e["kld_seconds"] = k.seconds;
                putOwn(e, measureOwn(*runner, *model, o, tasks, vo.contextLength, vj));
                e["device"] = runner->label;
                e["kernel_paths"] = runner->kernelPaths;
                nlohmann::json notes = nlohmann::json::array();
                e["fallbacks"] = fallbacksOf(q.report, notes);
                e["notes"] = notes;
                e["tensors"] = q.report.value("tensors", nlohmann::json::array());
                if (q.report.contains("awq")) e["awq"] = q.report["awq"]; // the scales and clipping kept, with held-out errors
                if (q.report.contains("gptq")) e["gptq"] = q.report["gptq"]; // its calibration and time
                if (q.report.contains("mix")) { // what it was chosen from; each tensor's type is in "tensors"
                    e["mix"] = q.report["mix"];
                    e["mix"].erase("tensors");
                }
            } catch (const Error& err) {
                if (err.kind() == ErrorKind::Cancelled) throw;
                e["status"] = "failed";
                e["error"] = err.what();
            } catch (const std::bad_alloc&) {
                e["status"] = "failed";
                e["error"] = "out of memory";
            }
            e["evaluation"] = evaluation;
            e["tool_version"] = toolVersion();
            e["finished"] = utcTimestamp();
        }
        results["variants"].push_back(e);
        results["updated"] = utcTimestamp();
        saveResults(resultsPath, results);
        if (events.variantFinished) events.variantFinished(e);
    }
    return results;
}

} // namespace qb
