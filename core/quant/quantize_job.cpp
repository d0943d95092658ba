#include "quant/quantize_job.h"

#include "common/error.h"
#include "common/read_file.h"
#include "quant/variant_plan.h"

#include <filesystem>
#include <memory>

namespace qb {

CalibrationStats calibrateFromText(const Model& model, const std::string& textPath, int ctx, int chunks, int threads, Job& job) {
    CalibrationOptions co;
    co.ctx = ctx;
    co.maxChunks = chunks;
    co.threads = threads;
    bool begun = false;
    co.progress = [&](int done, int total) {
        if (!begun) job.begin("calibration", total, "chunks");
        begun = true;
        if (job.cancelled()) return false;
        job.step(done);
        return true;
    };
    return collectCalibration(model, readWholeFile(textPath, "calibration text"), co);
}

namespace {

// Each file tensor's type in the plan `o` gives (F32 for a name not in the file).
std::function<GgmlType(const std::string&)> plannedTypes(const Model& model, const QuantizeOptions& o) {
    auto plan = std::make_shared<VariantPlan>(planVariant(model, o));
    return [&model, plan](const std::string& name) {
        for (size_t i = 0; i < model.tensors.size(); ++i)
            if (model.tensors[i].name == name) return plan->types[i];
        return GgmlType::F32;
    };
}

} // namespace

GptqModelResult gptqFromText(const Model& model, const std::string& textPath, const QuantizeOptions& o, int ctx, int chunks, Job& job) {
    GptqModelOptions go;
    go.gptq.group = o.group;
    go.gptq.actOrder = o.actOrder;
    go.gptq.damp = o.damp;
    go.threads = o.threads;
    const auto tokens = calibrationChunks(model, readWholeFile(textPath, "calibration text"), ctx, chunks);
    bool begun = false;
    go.progress = [&](int done, int total) {
        if (!begun) job.begin("gptq", total, "layers");
        begun = true;
        job.step(done);
        return !job.cancelled();
    };
    return gptqModel(model, tokens, plannedTypes(model, o), go);
}

AwqResult awqFromText(const Model& model, const std::string& textPath, const QuantizeOptions& o, int ctx, int chunks, Job& job) {
    const auto typeOf = plannedTypes(model, o);
    AwqOptions ao;
    ao.threads = o.threads;
    job.begin("awq", model.config.nLayers, "layers");
    ao.progress = [&](int done, int) {
        job.step(done);
        return !job.cancelled();
    };
    return awqSearch(model, calibrationChunks(model, readWholeFile(textPath, "calibration text"), ctx, chunks), typeOf, ao);
}

int calibrationCtxFor(const QuantizeSpec& spec, bool awq) {
    return spec.calibrationCtx > 0 ? spec.calibrationCtx : awq ? kAwqCalibrationCtx : kCalibrationCtx;
}

void validateQuantizeSpec(QuantizeSpec& s) {
    QuantizeOptions& o = s.options;
    if (!s.imatrixPath.empty() && o.method == QuantMethod::Rtn) o.method = QuantMethod::Imatrix; // as llama-quantize --imatrix
    if (o.group != 32 && o.group != 64 && o.group != 128) throw Error("quantize: group size (--group) " + std::to_string(o.group) + ", expected 32, 64 or 128");
    if (o.method == QuantMethod::Imatrix && s.imatrixPath.empty() && s.calibrationText.empty())
        throw Error("quantize: method imatrix needs an imatrix file (--imatrix FILE) or a calibration text (--calib FILE)");
    if ((o.method == QuantMethod::Gptq || o.method == QuantMethod::Awq) && s.calibrationText.empty())
        throw Error(std::string("quantize: method ") + methodName(o.method) + " needs a calibration text (--calib FILE)");
    if (s.mixTarget && s.calibrationText.empty())
        throw Error("quantize: option '" + s.mixTarget->option() + "' chooses the mix from measured sensitivity and needs a calibration text (--calib FILE)");
    if (s.mixTarget && o.staticActivations) throw Error("quantize: option '--act static' is for --type INT8, not for a mix (" + s.mixTarget->option() + ")");
    if (o.staticActivations && s.calibrationText.empty()) throw Error("quantize: static INT8 activations (--act static) need a calibration text (--calib FILE)");
}

QuantizeReport runQuantize(const Model& model, const std::string& outputPath, QuantizeSpec spec, Job& job) {
    QuantizeOptions& o = spec.options;
    validateQuantizeSpec(spec);
    ImportanceMatrix imatrix;
    CalibrationStats calibration;
    const int threads = o.threads;
    if (o.method == QuantMethod::Imatrix) {
        if (!spec.imatrixPath.empty()) imatrix = ImportanceMatrix::load(spec.imatrixPath);
        else
            imatrix = ImportanceMatrix::fromCalibration(
                calibrateFromText(model, spec.calibrationText, calibrationCtxFor(spec, false), spec.calibrationChunks, threads, job), 0,
                spec.calibrationText);
        o.imatrix = &imatrix;
    }
    MixSpec mix;
    std::optional<MixReport> mixReport;
    if (spec.mixTarget) {
        mix.target = *spec.mixTarget;
        mix.types = spec.mixTypes;
        mix.calibrationText = spec.calibrationText;
        mix.ctx = calibrationCtxFor(spec, false);
        mix.chunks = spec.calibrationChunks;
        mix.measured = spec.mixMeasured;
        mixReport = planMix(model, mix, o, job);
    }
    if (o.staticActivations) {
        calibration = calibrateFromText(model, spec.calibrationText, calibrationCtxFor(spec, false), spec.calibrationChunks, threads, job);
        o.calibration = &calibration;
    }
    GptqModelResult gptq;
    if (o.method == QuantMethod::Gptq) {
        gptq = gptqFromText(model, spec.calibrationText, o, calibrationCtxFor(spec, false), spec.calibrationChunks, job);
        o.gptq = &gptq;
    }
    AwqResult awq;
    if (o.method == QuantMethod::Awq) {
        awq = awqFromText(model, spec.calibrationText, o, calibrationCtxFor(spec, true), spec.calibrationChunks, job);
        o.awq = &awq;
    }
    if (!spec.calibrationText.empty()) o.calibrationSource = std::filesystem::path(spec.calibrationText).filename().string();
    bool begun = false;
    auto outer = o.progress;
    o.progress = [&](const QuantizeProgress& p) {
        if (!begun) job.begin("quantize", double(p.bytesTotal), "bytes");
        begun = true;
        if (outer && !outer(p)) return false;
        if (job.cancelled()) return false;
        job.step(double(p.bytesDone));
        return true;
    };
    QuantizeReport report = quantizeModel(model, outputPath, o);
    if (mixReport) {
        try {
            mixReport->measuredKld = measureMixDivergence(model, outputPath, mix, threads, job);
        } catch (const Error& e) { // a cancelled quantization leaves no file, even a finished one
            std::error_code ec;
            if (e.kind() == ErrorKind::Cancelled) std::filesystem::remove(outputPath, ec);
            throw;
        }
        report.mix = std::move(mixReport);
    }
    return report;
}

} // namespace qb
