#include "eval/results.h"

#include "common/error.h"
#include "common/utc_time.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef QUANTBENCH_VERSION
#define QUANTBENCH_VERSION "unknown"
#endif

namespace qb {

namespace {

nlohmann::json finiteOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Schema checks: `key` of object `j` (at JSON pointer `at`) has the given kind.
struct Checker {
    const std::string& path;
    [[noreturn]] void fail(const std::string& at, const std::string& what) const {
        throw fileError(path, "key '" + at + "': expected " + what);
    }
    const nlohmann::json& need(const nlohmann::json& j, const std::string& at, const std::string& key) const {
        if (!j.contains(key)) fail(at + "/" + key, "to be present");
        return j.at(key);
    }
    void string(const nlohmann::json& j, const std::string& at, const std::string& key) const {
        if (!need(j, at, key).is_string()) fail(at + "/" + key, "a string");
    }
    void number(const nlohmann::json& j, const std::string& at, const std::string& key, bool nullable = false) const {
        const auto& v = need(j, at, key);
        if (!(v.is_number() || (nullable && v.is_null()))) fail(at + "/" + key, nullable ? "a number or null" : "a number");
    }
};

} // namespace

nlohmann::json toJson(const KldResult& r) {
    return {{"ppl_base", r.pplBase},
            {"ppl_base_stderr", r.pplBaseStderr},
            {"ppl", r.ppl},
            {"ppl_stderr", r.pplStderr},
            {"ln_ppl_ratio", r.lnPplRatio},
            {"ln_ppl_ratio_stderr", r.lnPplRatioStderr},
            {"kld_mean", r.kldMean},
            {"kld_stderr", r.kldStderr},
            {"kld_median", r.kldMedian},
            {"kld_p90", r.kldP90},
            {"kld_p95", r.kldP95},
            {"kld_p99", r.kldP99},
            {"kld_p999", r.kldP999},
            {"kld_max", r.kldMax},
            {"kld_min", r.kldMin},
            {"top1_agreement", r.top1Agreement},
            {"top1_agreement_stderr", r.top1Stderr},
            {"delta_p_mean", r.deltaPMean},
            {"delta_p_mean_stderr", r.deltaPMeanStderr},
            {"delta_p_rms", r.deltaPRms},
            {"delta_p_rms_stderr", r.deltaPRmsStderr},
            {"delta_p_max", r.deltaPMax},
            {"tokens_scored", r.tokensScored},
            {"chunks", r.chunks},
            {"ctx", r.ctx},
            {"seconds", r.seconds}};
}

nlohmann::json toJson(const McResult& r) {
    return {{"tasks", r.tasks},
            {"acc", r.acc},
            {"acc_stderr", r.accStderr},
            {"acc_norm", r.accNorm},
            {"acc_norm_stderr", r.accNormStderr},
            {"acc_per_token", r.accPerToken},
            {"acc_per_token_stderr", r.accPerTokenStderr},
            {"tokens_evaluated", r.tokensEvaluated},
            {"seconds", r.seconds}};
}

nlohmann::json toJson(const SpeedResult& r) {
    return {{"pp", r.pp},
            {"tg", r.tg},
            {"repetitions", r.repetitions},
            {"pp_tokens_per_second", r.ppTokensPerSecond},
            {"pp_stddev", r.ppStddev},
            {"tg_tokens_per_second", r.tgTokensPerSecond},
            {"tg_stddev", r.tgStddev},
            {"ttft_seconds", r.ttftSeconds}};
}

nlohmann::json toJson(const MemoryUse& m) {
    return {{"weights_bytes", m.weights}, {"kv_cache_bytes", m.kvCache}, {"scratch_bytes", m.scratch}, {"total_bytes", m.total()}};
}

nlohmann::json tensorsJson(const QuantizeReport& r) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : r.tensors) {
        nlohmann::json j{{"name", t.name},
                         {"source_type", t.sourceType},
                         {"type", t.type},
                         {"shape", t.shape},
                         {"source_bytes", t.sourceBytes},
                         {"bytes", t.bytes},
                         {"method", t.method},
                         {"rmse", t.rmse},
                         {"max_abs_error", t.maxAbsError},
                         {"snr_db", finiteOrNull(t.snrDb)},
                         {"rel_frobenius", t.relFrobenius}};
        if (!t.fallbackFrom.empty()) j["fallback_from"] = t.fallbackFrom;
        out.push_back(std::move(j));
    }
    return out;
}

nlohmann::json toJson(const QuantizeReport& r) {
    nlohmann::json j{{"input", r.input},
                     {"output", r.output},
                     {"recipe", r.recipe},
                     {"method", r.method},
                     {"input_bytes", r.inputBytes},
                     {"output_bytes", r.outputBytes},
                     {"weight_bytes_in", r.weightBytesIn},
                     {"weight_bytes_out", r.weightBytesOut},
                     {"n_params", r.parameters},
                     {"seconds", r.seconds},
                     {"threads", r.threads},
                     {"bits_per_weight", r.parameters ? 8.0 * double(r.weightBytesOut) / double(r.parameters) : 0.0},
                     {"input_mb_per_second", r.seconds > 0 ? double(r.weightBytesIn) / 1e6 / r.seconds : 0.0}};
    j["tensors"] = tensorsJson(r);
    if (r.mix) j["mix"] = toJson(*r.mix);
    if (r.awq) j["awq"] = toJson(*r.awq);
    if (r.gptq)
        j["gptq"] = {{"chunks", r.gptq->chunks},     {"tokens", r.gptq->tokens},   {"group", r.gptq->group},
                     {"act_order", r.gptq->actOrder}, {"tensors", r.gptq->tensors}, {"seconds", r.gptq->seconds},
                     {"method", "layer by layer: each layer's Hessians from the quantized layers' outputs, CPU reference"}};
    return j;
}

nlohmann::json toJson(const AwqReport& a) {
    nlohmann::json groups = nlohmann::json::array(), clips = nlohmann::json::array();
    for (const AwqGroupReport& g : a.groups)
        groups.push_back({{"first", g.first}, {"alpha", g.alpha}, {"held_out_error_rtn", g.heldOutRtn}, {"held_out_error_scaled", g.heldOutScaled},
                          {"kept", g.kept}});
    for (const AwqClipReport& c : a.clips)
        clips.push_back({{"name", c.name}, {"mean_shrink", c.meanShrink}, {"held_out_error_unclipped", c.heldOutBefore},
                         {"held_out_error_clipped", c.heldOutAfter}, {"kept", c.kept}});
    return {{"search_chunks", a.searchChunks}, {"held_out_chunks", a.heldOutChunks}, {"tokens", a.tokens}, {"seconds", a.seconds},
            {"scale_groups", groups}, {"clipping", clips}};
}

nlohmann::json toJson(const MixReport& m) {
    const SensitivityTable& s = m.sensitivity;
    nlohmann::json tensors = nlohmann::json::array();
    for (size_t i = 0; i < s.tensors.size(); ++i) {
        nlohmann::json options = nlohmann::json::array();
        for (const TypeCost& c : s.tensors[i].options) options.push_back({{"type", typeName(c.type)}, {"bytes", c.bytes}, {"kld", c.kld}});
        tensors.push_back({{"name", s.tensors[i].name},
                           {"type", i < m.chosen.size() ? typeName(m.chosen[i]) : ""},
                           {"n_params", s.tensors[i].parameters},
                           {"sensitivity", std::move(options)}});
    }
    return {{"target", m.target},
            {"candidates", m.candidates},
            {"method", "KL-divergence from the source when one tensor alone is quantized to each candidate, summed over tensors"},
            {"device", "cpu (reference forward pass)"},
            {"calibration", m.calibration},
            {"ctx", s.ctx},
            {"chunks", s.chunks},
            {"positions", s.positions},
            {"forward_passes", s.forwardPasses},
            {"sensitivity_seconds", s.seconds},
            {"predicted_kld", m.predictedKld},
            {"measured_kld", m.measuredKld >= 0 ? nlohmann::json(m.measuredKld) : nlohmann::json()},
            {"tensors", std::move(tensors)}};
}

void validateResults(const nlohmann::json& j, const std::string& path) {
    const Checker c{path};
    if (!j.is_object()) c.fail("", "a JSON object");
    const auto& v = c.need(j, "", "schema_version");
    if (!v.is_number_integer()) c.fail("/schema_version", "an integer");
    if (v.get<int64_t>() != kResultsSchemaVersion)
        c.fail("/schema_version", std::to_string(kResultsSchemaVersion) + " (this file has " + v.dump() + ": written by another version)");
    const auto& model = c.need(j, "", "model");
    if (!model.is_object()) c.fail("/model", "an object");
    c.string(model, "/model", "path");
    c.number(model, "/model", "n_params");
    c.number(model, "/model", "bytes");
    c.string(j, "", "reference");
    const auto& variants = c.need(j, "", "variants");
    if (!variants.is_array()) c.fail("/variants", "an array");
    for (size_t i = 0; i < variants.size(); ++i) {
        const auto& x = variants[i];
        const std::string at = "/variants/" + std::to_string(i);
        if (!x.is_object()) c.fail(at, "an object");
        for (const char* k : {"name", "type", "method", "status"}) c.string(x, at, k);
        const std::string status = x["status"].get<std::string>();
        if (status != "ok" && status != "failed") c.fail(at + "/status", "\"ok\" or \"failed\"");
        if (status == "failed") {
            c.string(x, at, "error");
            continue;
        }
        for (const char* k : {"bytes", "bpw", "ppl", "ppl_stderr", "kld_mean", "kld_p99", "top1_agreement", "pp_tokens_per_second",
                              "tg_tokens_per_second"})
            c.number(x, at, k);
        c.string(x, at, "device");
        const auto& tensors = c.need(x, at, "tensors");
        if (!tensors.is_array()) c.fail(at + "/tensors", "an array");
        for (size_t t = 0; t < tensors.size(); ++t) {
            const std::string tat = at + "/tensors/" + std::to_string(t);
            if (!tensors[t].is_object()) c.fail(tat, "an object");
            c.string(tensors[t], tat, "name");
            c.string(tensors[t], tat, "type");
        }
        if (x.contains("mc") && !x["mc"].is_null()) {
            if (!x["mc"].is_object()) c.fail(at + "/mc", "an object or null");
            c.number(x["mc"], at + "/mc", "acc_per_token");
        }
        if (x.contains("memory")) {
            if (!x["memory"].is_object()) c.fail(at + "/memory", "an object");
            c.number(x["memory"], at + "/memory", "weights_bytes");
            c.number(x["memory"], at + "/memory", "kv_cache_bytes");
        }
    }
}

nlohmann::json loadResults(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fileError(path, "cannot open for reading");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw fileError(path, std::string("not valid JSON (") + e.what() + "), expected a QuantBench results.json");
    }
    validateResults(j, path);
    return j;
}

void saveResults(const std::string& path, const nlohmann::json& results) {
    const std::string part = path + ".part";
    {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        if (!out) throw fileError(part, "cannot create", ErrorKind::Internal);
        out << results.dump(2) << "\n";
        if (!out) throw fileError(part, "write failed", ErrorKind::Internal);
    }
    std::error_code ec;
    std::filesystem::rename(part, path, ec);
    if (ec) throw fileError(path, "cannot rename " + part + " into place: " + ec.message(), ErrorKind::Internal);
}

std::string utcTimestamp() { return utcNow("%Y-%m-%dT%H:%M:%SZ"); }

std::string toolVersion() { return std::string("quantbench ") + QUANTBENCH_VERSION; }

} // namespace qb
