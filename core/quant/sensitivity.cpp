#include "quant/sensitivity.h"

#include "common/error.h"
#include "common/thread_pool.h"
#include "eval/kld.h"
#include "model/forward_cpu.h"
#include "quant/quantize.h"
#include "quant/recipe.h"
#include "quant/view_swap.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

namespace qb {

const std::vector<GgmlType>& mixableTypes() {
    static const std::vector<GgmlType> types{GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                             GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
    return types;
}

bool mixCandidateType(GgmlType t) { return std::find(mixableTypes().begin(), mixableTypes().end(), t) != mixableTypes().end(); }

std::vector<GgmlType> defaultMixTypes() {
    return {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q4_K,
            GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_0};
}

namespace {

// The places the forward pass reads a tensor's data from: the weight views
// whose bytes lie inside it (a fused q|k|v gives three, a tied embedding two).
std::vector<Tensor*> readersOf(ModelWeights& w, const Tensor& source) {
    std::vector<Tensor*> all{&w.tokenEmbedding, &w.output};
    for (LayerWeights& L : w.layers)
        for (Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wGate, &L.wUp, &L.wDown}) all.push_back(t);
    std::vector<Tensor*> readers;
    for (Tensor* t : all)
        if (t->type == source.type && holdsView(source, *t)) readers.push_back(t);
    return readers;
}

} // namespace

DivergenceProbe::DivergenceProbe(ForwardPass& source, const std::vector<int>& tokens, int bos, int ctx, int chunks, int vocabSize,
                                 ThreadPool& pool)
    : m_ctx(ctx), m_vocab(vocabSize), m_pool(pool) {
    for (int c = 0; c < chunks; ++c) {
        m_chunks.push_back(perplexityChunk(tokens, c, ctx, bos));
        std::vector<float> logits;
        source.reset();
        source.forward(m_chunks.back().data(), ctx, logits, true);
        std::vector<LogSoftmaxNorm> norms(static_cast<size_t>(ctx));
        for (int j = 0; j < ctx; ++j) norms[size_t(j)] = logSoftmaxNorm(logits.data() + size_t(j) * m_vocab, m_vocab);
        m_logits.push_back(std::move(logits));
        m_norms.push_back(std::move(norms));
    }
}

double DivergenceProbe::measure(ForwardPass& other) const {
    std::vector<float> logits;
    std::vector<double> perPosition(static_cast<size_t>(m_ctx));
    double sum = 0;
    for (size_t c = 0; c < m_chunks.size(); ++c) {
        other.reset();
        other.forward(m_chunks[c].data(), m_ctx, logits, true);
        m_pool.parallelFor(m_ctx, [&](int64_t b, int64_t e) {
            for (int64_t j = b; j < e; ++j) {
                const float* base = m_logits[c].data() + j * m_vocab;
                const float* q = logits.data() + j * m_vocab;
                perPosition[size_t(j)] = klDivergence(base, m_norms[c][size_t(j)], q, logSoftmaxNorm(q, m_vocab), m_vocab);
            }
        });
        for (double v : perPosition) sum += v;
    }
    return sum / double(positions());
}

SensitivityTable measureSensitivity(const Model& model, const std::vector<int>& tokens, const SensitivityOptions& o, Job& job) {
    const auto start = std::chrono::steady_clock::now();
    if (!model.vocab) throw fileError(model.path, "has no tokenizer: the sensitivity of its weights is measured on calibration text");
    const int chunks = perplexityChunks(tokens.size(), o.ctx, o.maxChunks);
    ThreadPool pool(o.threads);
    Model probe = model; // the same weight views; one at a time is pointed at a quantized copy
    CpuForwardOptions fo;
    fo.contextLength = o.ctx;
    CpuForward forward(probe, pool, fo);
    const DivergenceProbe divergence(forward, tokens, evalBos(*model.vocab), o.ctx, chunks, model.config.vocabSize, pool);

    SensitivityTable table;
    table.ctx = o.ctx;
    table.chunks = chunks;
    table.positions = divergence.positions();
    table.forwardPasses = chunks;
    // which tensors, which types: every quantizable tensor the forward pass reads, each candidate its rows allow
    struct Work {
        size_t tensor;
        std::vector<Tensor*> readers;
        std::vector<GgmlType> types;
    };
    std::vector<Work> work;
    int probes = 0;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor& t = model.tensors[i];
        if (!tensorIsQuantizable(t.name, t.shape)) continue;
        Work w{i, readersOf(probe.weights, t), {}};
        if (w.readers.empty()) continue; // not read by the forward pass: nothing to measure, the recipe's type stays
        for (GgmlType type : o.types)
            if (t.cols() % traits(type).blockElements == 0) w.types.push_back(type);
        if (w.types.empty()) continue;
        probes += int(w.types.size());
        work.push_back(std::move(w));
    }
    job.begin("sensitivity", probes, "probes");
    int done = 0;
    for (const Work& w : work) {
        const Tensor& src = model.tensors[w.tensor];
        const std::vector<float> values = dequantizeTensor(src);
        const std::vector<float>* importance = o.imatrix ? o.imatrix->find(src.name) : nullptr;
        if (importance && int64_t(importance->size()) != src.cols()) importance = nullptr;
        TensorSensitivity s;
        s.index = int(w.tensor);
        s.name = src.name;
        s.parameters = src.elements();
        for (GgmlType type : w.types) {
            const int64_t cols = src.cols();
            const size_t stride = rowBytes(type, cols);
            std::vector<uint8_t> bytes(stride * size_t(src.rows()));
            const float* imp = importance && typeUsesImportance(type) ? importance->data() : nullptr;
            pool.parallelFor(src.rows(), [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) quantizeRow(type, values.data() + r * cols, bytes.data() + size_t(r) * stride, cols, imp);
            });
            double kld;
            {
                std::vector<std::unique_ptr<ViewSwap>> swaps; // each reader at its own rows of the quantized copy
                for (Tensor* t : w.readers) swaps.push_back(std::make_unique<ViewSwap>(*t, type, bytes.data() + size_t(firstRowOf(src, *t)) * stride));
                kld = divergence.measure(forward);
            }
            s.options.push_back({type, uint64_t(bytes.size()), kld});
            table.forwardPasses += chunks;
            job.step(++done);
        }
        std::stable_sort(s.options.begin(), s.options.end(), [](const TypeCost& a, const TypeCost& b) { return a.bytes < b.bytes; });
        table.tensors.push_back(std::move(s));
    }
    table.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return table;
}

} // namespace qb
