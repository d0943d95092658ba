#include "quant/gptq_layers.h"

#include "common/error.h"
#include "common/thread_pool.h"
#include "model/forward_cpu.h"
#include "quant/dense.h"
#include "quant/layer_slots.h"
#include "quant/quantize.h"

#include <chrono>
#include <memory>

namespace qb {

namespace {

// One file tensor GPTQ stores: its planned type and the input its rows read.
struct Target {
    const Tensor* source;
    GgmlType type;
    int input;
};

PreQuantized quantizeTarget(const Target& t, const std::vector<double>& hessian, const GptqOptions& options, ThreadPool& pool) {
    PreQuantized out;
    GptqOptions o = options;
    const int64_t rows = t.source->rows(), cols = t.source->cols();
    while (o.group > 32 && cols % o.group != 0) o.group /= 2; // a narrow tensor takes the largest group that fits
    const std::vector<float> values = dequantizeTensor(*t.source);
    out.bytes = gptqQuantize(values, rows, cols, hessian, t.type, o, pool);
    out.method = "gptq g" + std::to_string(o.group) + (o.actOrder ? " act-order" : "");
    out.error = errorOfBytes(values.data(), rows, cols, out.bytes, t.type, nullptr, pool);
    return out;
}

std::vector<float> dequantizedBytes(const PreQuantized& q, const Tensor& source, GgmlType type) {
    const int64_t rows = source.rows(), cols = source.cols();
    std::vector<float> v(static_cast<size_t>(rows * cols));
    const size_t stride = rowBytes(type, cols);
    for (int64_t r = 0; r < rows; ++r) dequantizeRow(type, q.bytes.data() + size_t(r) * stride, &v[size_t(r * cols)], cols);
    return v;
}

} // namespace

GptqModelResult gptqModel(const Model& model, const std::vector<std::vector<int>>& chunks, const std::function<GgmlType(const std::string&)>& typeOf,
                          const GptqModelOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    const ModelConfig& c = model.config;
    const int dim = c.dim;
    GptqModelResult result;
    GptqReport& report = result.report;
    report.chunks = int(chunks.size());
    report.group = o.gptq.group;
    report.actOrder = o.gptq.actOrder;
    int ctx = 0;
    for (const auto& chunk : chunks) {
        ctx = std::max(ctx, int(chunk.size()));
        report.tokens += int64_t(chunk.size());
    }
    auto gptqType = [&](const Tensor& source) {
        const GgmlType t = typeOf(source.name);
        return gptqSupports(t) && t != source.type ? std::optional<GgmlType>(t) : std::nullopt;
    };
    const Tensor& outputSource = sourceTensorOf(model, model.weights.output);
    const bool classifier = gptqType(outputSource).has_value();
    const int steps = c.nLayers + (classifier ? 1 : 0);

    ThreadPool pool(o.threads);
    Model work = model; // the same weight views; a layer's quantized matrices are pointed at F32 copies of their values
    CpuForwardOptions fo;
    fo.contextLength = ctx;
    fo.kvType = KvCacheType::F32;
    CpuForward fwd(work, pool, fo);
    std::vector<std::vector<float>> x(chunks.size()); // the current layer's inputs, per chunk
    for (size_t i = 0; i < chunks.size(); ++i) {
        x[i].resize(chunks[i].size() * size_t(dim));
        fwd.embed(chunks[i].data(), int(chunks[i].size()), x[i].data());
    }
    auto step = [&](int done) {
        if (o.progress && !o.progress(done, steps)) throw Error("gptq: cancelled", ErrorKind::Cancelled);
    };
    step(0);

    for (int l = 0; l < c.nLayers; ++l) {
        const LayerWeights& L = model.weights.layers[size_t(l)];
        LayerWeights& S = work.weights.layers[size_t(l)];
        std::vector<Target> targets;
        bool needed[InputCount] = {};
        for (int m = 0; m < MatCount; ++m) {
            if (!slot(L, m).present()) continue;
            const Tensor& source = sourceTensorOf(model, slot(L, m));
            const auto type = gptqType(source);
            bool seen = false;
            for (const Target& t : targets) seen |= t.source == &source;
            if (!type || seen) continue;
            targets.push_back({&source, *type, inputOf(m)});
            needed[inputOf(m)] = true;
        }

        // 1. the Hessians of the inputs the targets read, the layer in full precision
        std::vector<double> hessians[InputCount];
        fwd.setObserver([&](const Tensor& w, const float* in, int n) {
            for (int input = 0; input < InputCount; ++input) {
                if (!needed[input] || &w != &slot(S, firstReaderOf(input))) continue;
                if (hessians[input].empty()) hessians[input].assign(size_t(w.cols() * w.cols()), 0.0);
                accumulateGram(hessians[input], in, n, w.cols(), pool);
            }
        });
        std::vector<float> scratch;
        for (size_t i = 0; i < chunks.size() && !targets.empty(); ++i) {
            scratch = x[i];
            fwd.reset();
            fwd.forwardLayers(scratch.data(), int(chunks[i].size()), l, l + 1);
            step(l); // a cancel is seen between chunks and between matrices, not only between layers
        }
        fwd.setObserver(nullptr);

        // 2. GPTQ, one target at a time; their quantized values replace the layer's weights
        std::vector<std::vector<float>> quantizedValues;
        std::vector<std::unique_ptr<ViewSwap>> swaps;
        int readers[InputCount] = {};
        bool mirrored[InputCount] = {};
        for (const Target& t : targets) ++readers[t.input];
        for (const Target& t : targets) {
            std::vector<double>& h = hessians[t.input];
            if (h.empty()) throw Error(model.path + ": tensor '" + t.source->name + "': no calibration input reached it", ErrorKind::Internal);
            if (!mirrored[t.input]) mirrorLower(h, t.source->cols());
            mirrored[t.input] = true;
            PreQuantized q = quantizeTarget(t, h, o.gptq, pool);
            if (--readers[t.input] == 0) std::vector<double>().swap(h); // its last reader is done: freed before the next
            quantizedValues.push_back(dequantizedBytes(q, *t.source, t.type));
            for (int m = 0; m < MatCount; ++m)
                if (holdsView(*t.source, slot(L, m)))
                    swaps.push_back(std::make_unique<ViewSwap>(slot(S, m), GgmlType::F32,
                                                               quantizedValues.back().data() + size_t(firstRowOf(*t.source, slot(L, m)) * t.source->cols())));
            result.tensors[t.source->name] = std::move(q);
            step(l);
        }

        // 3. the quantized layer's outputs: the next layer's inputs
        if (l + 1 < c.nLayers || classifier)
            for (size_t i = 0; i < chunks.size(); ++i) {
                fwd.reset();
                fwd.forwardLayers(x[i].data(), int(chunks[i].size()), l, l + 1);
            }
        step(l + 1);
    }

    if (classifier) { // the classifier reads the final norm's outputs
        const std::vector<float> gain = dequantizeTensor(model.weights.outputNorm);
        std::vector<double> h(size_t(dim) * size_t(dim), 0.0);
        std::vector<float> normed;
        for (size_t i = 0; i < chunks.size(); ++i) {
            const int n = int(chunks[i].size());
            normed.resize(size_t(n) * size_t(dim));
            for (int t = 0; t < n; ++t) rmsNorm(&x[i][size_t(t) * dim], gain.data(), dim, c.normEps, &normed[size_t(t) * dim]);
            accumulateGram(h, normed.data(), n, dim, pool);
        }
        mirrorLower(h, dim);
        result.tensors[outputSource.name] = quantizeTarget({&outputSource, *gptqType(outputSource), -1}, h, o.gptq, pool);
        step(steps);
    }
    report.tensors = int(result.tensors.size());
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace qb
