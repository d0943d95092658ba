#include "quant/mix_job.h"

#include "common/error.h"
#include "common/read_file.h"
#include "common/thread_pool.h"
#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "quant/recipe.h"
#include "quant/variant_plan.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

namespace qb {

std::vector<GgmlType> parseMixTypes(const std::string& list) {
    std::vector<GgmlType> types;
    size_t pos = 0;
    while (pos <= list.size()) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        const std::string name = list.substr(pos, comma - pos);
        const auto t = typeFromName(name);
        if (!t || !mixCandidateType(*t)) {
            std::string known;
            for (GgmlType k : mixableTypes())
                known.append(known.empty() ? "" : ",").append(typeName(k));
            throw Error("option '--types': '" + name + "' is not a type a mix can use, expected some of " + known);
        }
        if (std::find(types.begin(), types.end(), *t) == types.end()) types.push_back(*t);
        pos = comma + 1;
    }
    return types;
}

namespace {

std::vector<int> calibrationTokens(const Model& model, const MixSpec& spec) {
    if (spec.calibrationText.empty())
        throw Error("option '" + spec.target.option() + "': a mix is chosen from measured sensitivity and needs a calibration text (--calib FILE)");
    const std::vector<int> tokens = tokenizeEvalText(model, readWholeFile(spec.calibrationText, "calibration text"));
    if (spec.ctx < 4) throw Error("option '--ctx': " + std::to_string(spec.ctx) + ", expected at least 4");
    if (tokens.size() < size_t(spec.ctx))
        throw fileError(spec.calibrationText, "option '--calib': " + std::to_string(tokens.size()) + " tokens, expected at least " +
                                                  std::to_string(spec.ctx) + " (one chunk of --ctx) to measure sensitivity on");
    return tokens;
}

std::string format(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

} // namespace

MixReport planMix(const Model& model, const MixSpec& spec, QuantizeOptions& o, Job& job) {
    const MixTarget& target = spec.target;
    if (!std::isfinite(target.value) || target.value <= 0)
        throw Error("option '" + target.option() + "': " + std::to_string(target.value) + ", expected a positive number");
    if (spec.types.empty()) throw Error("option '--types': empty, expected at least one type");
    const std::vector<int> tokens = calibrationTokens(model, spec);
    const int64_t params = model.parameterCount();
    // above the source: nothing to gain
    if (target.goal == MixGoal::BitsPerWeight && target.value * double(params) >= 8.0 * double(model.weightBytes()))
        throw Error("option '--target-bpw': " + format("%g", target.value) + ", expected below the source's " +
                    format("%.3f", 8.0 * double(model.weightBytes()) / double(params)) + " bpw");
    if (target.goal == MixGoal::FileBytes && target.value >= double(model.fileBytes))
        throw Error("option '--target-bytes': " + format("%.0f", target.value) + ", expected below the source's " +
                    std::to_string(model.fileBytes) + " bytes");

    // every quantizable tensor's type when the mix is the smallest: its smallest candidate that fits its rows, else F16
    // (llama-quantize's last fallback); a tensor the forward pass does not read keeps it
    std::map<std::string, GgmlType> types;
    for (const Tensor& t : model.tensors) {
        if (!tensorIsQuantizable(t.name, t.shape)) continue;
        GgmlType best = GgmlType::F16;
        for (GgmlType c : spec.types)
            if (t.cols() % traits(c).blockElements == 0 && (best == GgmlType::F16 || rowBytes(c, t.cols()) < rowBytes(best, t.cols()))) best = c;
        types[t.name] = best;
    }
    auto apply = [&]() {
        o.typeOverrides.clear();
        std::map<GgmlType, int64_t> parameters;
        for (const Tensor& t : model.tensors) {
            const auto it = types.find(t.name);
            if (it == types.end()) continue;
            o.typeOverrides.emplace_back(t.name, it->second);
            parameters[it->second] += t.elements();
        }
        GgmlType dominant = GgmlType::F16; // general.file_type: the type most weights have
        int64_t most = -1;
        for (const auto& [type, n] : parameters)
            if (n > most) most = n, dominant = type;
        o.target = typeName(dominant);
        o.pure = true;
        o.recipeLabel = target.label();
    };
    apply();
    const VariantPlan smallest = planVariant(model, o);
    // the budget for the whole file's weights (bpw: all tensors, as llama.cpp prints it); for a file size, less
    // the header and alignment, with room for every tensor's padding to change
    double total = 0;
    if (target.goal == MixGoal::BitsPerWeight) total = std::floor(target.value * double(params) / 8.0);
    if (target.goal == MixGoal::FileBytes) total = target.value - double(smallest.fileBytes - smallest.weightBytes) - 32.0 * double(model.tensors.size());
    if (target.goal != MixGoal::MaxKld && total < double(smallest.weightBytes)) {
        const std::string least = target.goal == MixGoal::BitsPerWeight ? format("%.3f bpw", smallest.bitsPerWeight())
                                                                        : std::to_string(smallest.fileBytes + 32 * model.tensors.size()) + " bytes";
        throw Error("option '" + target.option() + "': " + format("%g", target.value) + " is below the smallest mix of the candidate types, " +
                    least + " (every tensor at its smallest type; norms stay F32, tensors whose rows fit no candidate F16)");
    }

    SensitivityOptions so;
    so.types = spec.types;
    so.ctx = spec.ctx;
    so.maxChunks = spec.chunks;
    so.threads = o.threads;
    so.imatrix = o.imatrix;
    MixReport report;
    report.target = target.label();
    for (GgmlType t : spec.types) report.candidates.push_back(typeName(t));
    report.calibration = std::filesystem::path(spec.calibrationText).filename().string();
    report.sensitivity = spec.measured ? *spec.measured : measureSensitivity(model, tokens, so, job);
    const SensitivityTable& table = report.sensitivity;
    uint64_t tableSmallest = 0; // the table's tensors at their smallest: the rest of smallest.weightBytes is fixed
    for (const TensorSensitivity& t : table.tensors) tableSmallest += t.options.front().bytes;
    const MixChoice choice = target.goal == MixGoal::MaxKld
                                 ? chooseMixWithinKld(table, target.value, target.option())
                                 : chooseMixWithinBytes(table, uint64_t(total) - (smallest.weightBytes - tableSmallest), target.option());
    for (size_t i = 0; i < table.tensors.size(); ++i) types[table.tensors[i].name] = choice.types[i];
    apply();
    report.chosen = choice.types;
    report.predictedKld = choice.predictedKld;
    return report;
}

double measureMixDivergence(const Model& source, const std::string& quantizedPath, const MixSpec& spec, int threads, Job& job) {
    const std::vector<int> tokens = calibrationTokens(source, spec);
    const auto quantized = loadModel(quantizedPath);
    ThreadPool pool(threads);
    CpuForwardOptions fo;
    fo.contextLength = spec.ctx;
    CpuForward base(source, pool, fo), variant(*quantized, pool, fo);
    const int chunks = perplexityChunks(tokens.size(), spec.ctx, spec.chunks);
    job.begin("mix check", 2, "passes");
    const DivergenceProbe probe(base, tokens, evalBos(*source.vocab), spec.ctx, chunks, source.config.vocabSize, pool);
    job.step(1);
    const double kld = probe.measure(variant);
    job.step(2);
    return kld;
}

} // namespace qb
