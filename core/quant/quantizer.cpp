#include "quant/quantizer.h"

#include "common/error.h"
#include "common/thread_pool.h"
#include "formats/gguf_writer.h"
#include "model/model_metadata.h"
#include "quant/awq.h"
#include "quant/error_stats.h"
#include "quant/quantize.h"
#include "quant/variant_plan.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <limits>
#include <memory>

namespace qb {

const char* methodName(QuantMethod m) {
    switch (m) {
    case QuantMethod::Rtn: return "rtn";
    case QuantMethod::Imatrix: return "imatrix";
    case QuantMethod::Gptq: return "gptq";
    case QuantMethod::Awq: return "awq";
    }
    return "rtn";
}

std::optional<QuantMethod> methodFromName(const std::string& n) {
    for (QuantMethod m : {QuantMethod::Rtn, QuantMethod::Imatrix, QuantMethod::Gptq, QuantMethod::Awq})
        if (n == methodName(m)) return m;
    return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;

void setError(TensorReport& r, const ErrorStats& e) {
    r.rmse = e.rmse;
    r.maxAbsError = e.maxAbsError;
    r.snrDb = e.snrDb;
    r.relFrobenius = e.relFrobenius;
}

} // namespace

QuantizeReport quantizeModel(const Model& model, const std::string& outputPath, const QuantizeOptions& o) {
    const auto start = Clock::now();
    const VariantPlan vplan = planVariant(model, o);
    const Recipe* recipe = &vplan.recipe;
    const std::vector<GgmlType>& plan = vplan.types;
    const std::vector<GgmlType>& wanted = vplan.wanted;
    if (model.tensors.empty()) throw fileError(model.path, "has no tensors to quantize");
    std::error_code ec;
    if (std::filesystem::equivalent(model.path, outputPath, ec))
        throw fileError(outputPath, "is the input file: choose another output path (the input is never modified)");
    if (o.method == QuantMethod::Imatrix && !o.imatrix) throw Error("quantize: --method imatrix needs --imatrix FILE or --calib FILE");
    if (o.staticActivations && (!o.calibration || recipe->baseType != GgmlType::QB_I8_CH))
        throw Error("quantize: static activation scales need --type INT8 and calibration text (--calib FILE)");
    if ((o.method == QuantMethod::Gptq && !o.gptq) || (o.method == QuantMethod::Awq && !o.awq))
        throw Error(std::string("quantize: --method ") + methodName(o.method) + " needs calibration text (--calib FILE)");

    // AWQ rewrites some tensors (scaled and clipped weights, divided norms) before RTN.
    static const AwqResult kNoAwq;
    const AwqResult& awq = o.method == QuantMethod::Awq ? *o.awq : kNoAwq;

    ThreadPool pool(o.threads);
    QuantizeReport report;
    report.input = model.path;
    report.output = outputPath;
    report.recipe = recipe->name;
    report.method = methodName(o.method);
    if (o.method == QuantMethod::Awq) report.awq = awq.report;
    if (o.method == QuantMethod::Gptq) report.gptq = o.gptq->report;
    report.threads = pool.size();
    report.parameters = model.parameterCount();
    report.tensors.resize(model.tensors.size());
    for (const Tensor& t : model.tensors) report.weightBytesIn += t.bytes;

    GgufWriter writer;
    setVariantMetadata(writer, model, *recipe, o);

    std::atomic<bool> cancelled{false};
    uint64_t bytesDone = 0;
    auto report_progress = [&](int index, const std::string& name) {
        if (!o.progress) return;
        QuantizeProgress p;
        p.tensorIndex = index;
        p.tensorCount = int(model.tensors.size());
        p.tensorName = name;
        p.bytesDone = bytesDone;
        p.bytesTotal = report.weightBytesIn;
        p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        p.etaSeconds = bytesDone > 0 ? p.seconds * double(p.bytesTotal - bytesDone) / double(bytesDone) : 0;
        if (!o.progress(p)) cancelled = true;
    };

    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor& t = model.tensors[i];
        const GgmlType type = plan[i];
        GgufTensorOut out{t.name, type, t.shape, {}};
        auto rowScales = std::make_shared<std::vector<float>>(); // per-channel types: filled with the weight, written next
        out.produce = [&, i, type, rowScales]() -> std::vector<uint8_t> {
            const Tensor& src = model.tensors[i];
            TensorReport& r = report.tensors[i];
            r.name = src.name;
            r.sourceType = typeName(src.type);
            r.type = typeName(type);
            if (wanted[i] != type) r.fallbackFrom = typeName(wanted[i]);
            r.shape = src.shape;
            r.sourceBytes = src.bytes;
            report_progress(int(i) + 1, src.name);
            if (cancelled) throw Error(outputPath + ": cancelled", ErrorKind::Cancelled);
            const int64_t cols = src.cols(), rows = src.rows();
            auto ov = awq.overrides.find(src.name);
            const std::map<std::string, PreQuantized>& done = o.method == QuantMethod::Gptq ? o.gptq->tensors : awq.quantized;
            auto pre = done.find(src.name);
            std::vector<uint8_t> bytes;
            if (pre != done.end()) { // GPTQ or AWQ quantized it, layer by layer (quant/gptq_layers.h, quant/awq.h)
                if (pre->second.bytes.size() != rowBytes(type, cols) * size_t(rows))
                    throw Error(std::string(methodName(o.method)) + ": tensor '" + src.name + "' has " + std::to_string(pre->second.bytes.size()) +
                                    " quantized bytes, expected " + std::to_string(rowBytes(type, cols) * size_t(rows)),
                                ErrorKind::Internal);
                bytes = pre->second.bytes;
                r.method = pre->second.method;
                setError(r, pre->second.error);
                r.bytes = bytes.size();
                bytesDone += src.bytes;
                return bytes;
            }
            if (type == src.type && ov == awq.overrides.end()) { // unchanged: copy bytes as they are
                bytes.assign(src.data, src.data + src.bytes);
                r.method = "copy";
                r.bytes = bytes.size();
                bytesDone += src.bytes;
                return bytes;
            }
            const size_t stride = rowBytes(type, cols);
            bytes.resize(stride * size_t(rows));
            const float* overridden = ov != awq.overrides.end() ? ov->second.data() : nullptr;
            if (!hasRowScale(type)) { // RTN / imatrix, row by row from the source: no F32 copy of the tensor
                const std::vector<float>* importance = nullptr;
                if (o.imatrix && typeUsesImportance(type)) {
                    importance = o.imatrix->find(src.name);
                    if (importance && int64_t(importance->size()) != cols)
                        throw Error("imatrix: entry '" + src.name + "' has " + std::to_string(importance->size()) + " values, expected " +
                                    std::to_string(cols));
                }
                std::vector<RowError> errors(static_cast<size_t>(rows));
                // rows in chunks, so a cancel inside a large tensor is seen promptly
                const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 22) / std::max<int64_t>(1, cols));
                for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
                    const int64_t r1 = std::min(rows, r0 + chunk);
                    pool.parallelFor(r1 - r0, [&](int64_t b, int64_t e) {
                        std::vector<float> values(static_cast<size_t>(cols)), back(static_cast<size_t>(cols));
                        for (int64_t row = r0 + b; row < r0 + e; ++row) {
                            const float* x = overridden ? overridden + row * cols : values.data();
                            if (!overridden) src.dequantizeRowTo(row, values.data());
                            uint8_t* q = bytes.data() + size_t(row) * stride;
                            quantizeRow(type, x, q, cols, importance ? importance->data() : nullptr);
                            dequantizeRow(type, q, back.data(), cols);
                            errors[size_t(row)] = rowError(x, back.data(), cols);
                        }
                    });
                    if (r1 < rows) {
                        report_progress(int(i) + 1, src.name);
                        if (cancelled) throw Error(outputPath + ": cancelled", ErrorKind::Cancelled);
                    }
                }
                // error versus the source weights (for AWQ: versus the scaled weights it quantized)
                setError(r, combineRowErrors(errors, src.elements()));
                r.method = overridden ? "awq+rtn" : importance ? "imatrix" : "rtn";
                r.bytes = bytes.size();
                bytesDone += src.bytes;
                return bytes;
            }
            // per-channel types: the scale of each row, the error against the source (AWQ: the scaled weights it quantized)
            const std::vector<float> values = overridden ? ov->second : dequantizeTensor(src);
            rowScales->resize(size_t(rows));
            pool.parallelFor(rows, [&](int64_t b, int64_t e) {
                for (int64_t row = b; row < e; ++row)
                    (*rowScales)[size_t(row)] = quantizeRowPerChannel(type, values.data() + row * cols, bytes.data() + size_t(row) * stride, cols);
            });
            r.method = overridden ? "awq+rtn" : "rtn per-channel";
            setError(r, errorOfBytes(values.data(), rows, cols, bytes, type, rowScales.get(), pool));
            r.bytes = bytes.size();
            bytesDone += src.bytes;
            return bytes;
        };
        writer.addTensor(std::move(out));
        if (hasRowScale(type)) {
            writer.addTensor({t.name + "_scale", GgmlType::F32, {t.rows()}, [rowScales]() {
                                  std::vector<uint8_t> b(rowScales->size() * 4);
                                  std::memcpy(b.data(), rowScales->data(), b.size());
                                  return b;
                              }});
            if (o.staticActivations) {
                auto it = o.calibration->find(t.name);
                const float scale = it != o.calibration->end() && it->second.maxAbs > 0 ? float(it->second.maxAbs / 127.0) : 1.0f / 127.0f;
                writer.addTensor({t.name + "_input_scale", GgmlType::F32, {1}, [scale]() {
                                      std::vector<uint8_t> b(4);
                                      std::memcpy(b.data(), &scale, 4);
                                      return b;
                                  }});
            }
        }
    }
    writer.write(outputPath, [&] { return cancelled.load(); });
    report_progress(int(model.tensors.size()), "");
    report.outputBytes = std::filesystem::file_size(outputPath);
    report.inputBytes = model.fileBytes;
    for (const auto& r : report.tensors) report.weightBytesOut += r.bytes;
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return report;
}

} // namespace qb
