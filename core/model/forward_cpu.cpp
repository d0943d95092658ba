#include "model/forward_cpu.h"

#include "model/block_dot.h"
#include "model/kquant_dot.h"

#include "common/checked.h"
#include "common/error.h"
#include "common/host_memory.h"
#include "common/half.h"
#include "model/activation_rounding.h"
#include "model/activations.h"
#include "model/exp_ref.h"
#include "model/matmul_lanes.h"
#include "quant/fp8.h"
#include "quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace qb {

void rmsNorm(const float* x, const float* weight, int n, float eps, float* out) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
    const float scale = 1.0f / std::sqrt(float(sum / n) + eps);
    for (int i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

std::optional<KvCacheType> kvCacheTypeFromName(const std::string& n) {
    if (n == "f32") return KvCacheType::F32;
    if (n == "f16") return KvCacheType::F16;
    if (n == "q8_0") return KvCacheType::Q8_0;
    if (n == "fp8") return KvCacheType::FP8;
    return std::nullopt;
}

const char* kvCacheTypeName(KvCacheType t) {
    switch (t) {
    case KvCacheType::F32: return "f32";
    case KvCacheType::F16: return "f16";
    case KvCacheType::Q8_0: return "q8_0";
    case KvCacheType::FP8: return "fp8";
    }
    return "f16";
}

void roundKvRow(KvCacheType t, float* row, int n) {
    switch (t) {
    case KvCacheType::F32: return;
    case KvCacheType::F16:
        for (int i = 0; i < n; ++i) row[i] = halfToFloat(floatToHalf(row[i]));
        return;
    case KvCacheType::Q8_0: {
        uint8_t block[34];
        for (int b = 0; b < n; b += 32) {
            quantizeRow(GgmlType::Q8_0, row + b, block, 32);
            dequantizeRow(GgmlType::Q8_0, block, row + b, 32);
        }
        return;
    }
    case KvCacheType::FP8:
        for (int b = 0; b < n; b += 32) {
            float amax = 0;
            for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(row[b + i]));
            const float s = amax / kFp8E4M3Max;
            for (int i = 0; i < 32; ++i) row[b + i] = s > 0 ? fp8E4M3ToFloat(floatToFp8E4M3(row[b + i] / s)) * s : 0.0f;
        }
        return;
    }
}

void softmax(float* x, int n) {
    const float maxv = *std::max_element(x, x + n);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        x[i] = expRef(x[i] - maxv);
        sum += x[i];
    }
    const float inv = float(1.0 / sum);
    for (int i = 0; i < n; ++i) x[i] *= inv;
}

namespace {

// Rotary position embedding of one head vector, by the angles of its position.
void rope(float* x, const ModelConfig& c, const float* cs, const float* sn) {
    const int half = c.headDim / 2;
    for (int i = 0; i < half; ++i) {
        const int a = c.rope == RopeLayout::Normal ? 2 * i : i;
        const int b = c.rope == RopeLayout::Normal ? 2 * i + 1 : i + half;
        const float x0 = x[a], x1 = x[b];
        x[a] = x0 * cs[i] - x1 * sn[i];
        x[b] = x0 * sn[i] + x1 * cs[i];
    }
}

// The query and the probabilities meet an F16 cache in F16 (ggml's mul_mat with F16 K/V).
float roundKv(float v, KvCacheType t) { return t == KvCacheType::F16 ? halfToFloat(floatToHalf(v)) : v; }

} // namespace

CpuForward::CpuForward(const Model& model, ThreadPool& pool, CpuForwardOptions options)
    : m_model(model), m_pool(pool), m_options(options) {
    const ModelConfig& c = model.config;
    if ((options.kvType == KvCacheType::Q8_0 || options.kvType == KvCacheType::FP8) && c.kvDim() % 32 != 0)
        throw Error(model.path + ": a " + kvCacheTypeName(options.kvType) + " KV cache needs rows of a multiple of 32 values, this model's are " +
                    std::to_string(c.kvDim()));
    m_capacity = forwardCapacity(model, options.contextLength, CpuForwardOptions::kDefaultContext);
    m_rope = RopeAngles(c, m_capacity);
    const std::string cacheWhat = model.path + ": the KV cache for a context of " + std::to_string(m_capacity) + " tokens";
    const size_t cacheFloats = checkedMul(checkedMul(uint64_t(c.nLayers), uint64_t(m_capacity), cacheWhat), uint64_t(c.kvDim()), cacheWhat);
    checkHostAllocation(checkedMul(cacheFloats, 2 * sizeof(float), cacheWhat), cacheWhat);
    for (const LayerWeights& L : model.weights.layers) {
        LayerVectors v{dequantizeTensor(L.attnNorm), dequantizeTensor(L.ffnNorm), {}, {}, {}, {}, {}};
        if (L.bq.present()) {
            v.bq = dequantizeTensor(L.bq);
            v.bk = dequantizeTensor(L.bk);
            v.bv = dequantizeTensor(L.bv);
        }
        if (L.postAttnNorm.present()) {
            v.postAttnNorm = dequantizeTensor(L.postAttnNorm);
            v.postFfnNorm = dequantizeTensor(L.postFfnNorm);
        }
        m_vectors.push_back(std::move(v));
    }
    m_outputNorm = dequantizeTensor(model.weights.outputNorm);
    m_keyCache.assign(cacheFloats, 0.0f);
    m_valueCache.assign(cacheFloats, 0.0f);
}

MemoryUse CpuForward::memoryUse() const {
    MemoryUse m;
    m.weights = m_model.weightBytes();
    m.kvCache = (m_keyCache.size() + m_valueCache.size()) * sizeof(float);
    for (const LayerVectors& v : m_vectors)
        m.scratch += (v.attnNorm.size() + v.ffnNorm.size() + v.bq.size() + v.bk.size() + v.bv.size() + v.postAttnNorm.size() + v.postFfnNorm.size()) *
                     sizeof(float);
    m.scratch += m_outputNorm.size() * sizeof(float);
    return m;
}

MemoryUse CpuForward::estimate(const Model& model, int contextLength) {
    const ModelConfig& c = model.config;
    MemoryUse m;
    m.weights = model.weightBytes();
    m.kvCache = 2 * uint64_t(c.nLayers) * uint64_t(contextLength) * uint64_t(c.kvDim()) * sizeof(float);
    // norm gains and biases held as F32
    m.scratch = (uint64_t(c.nLayers) * (c.postNorms ? 4 : 2) * uint64_t(c.dim) + uint64_t(c.dim)) * sizeof(float);
    for (const auto& L : model.weights.layers)
        if (L.bq.present()) m.scratch += uint64_t(L.bq.elements() + L.bk.elements() + L.bv.elements()) * sizeof(float);
    return m;
}

void CpuForward::matmul(const Tensor& w, const float* xIn, int n, float* y) const {
    const int64_t rows = w.rows(), cols = w.cols();
    if (m_observer) m_observer(w, xIn, n);
    if (hasIntegerDot(w.type)) { // ggml's integer block dot against Q8_0-quantized activations
        Q8Blocks xq;
        quantizeQ8Blocks(xIn, int64_t(n) * cols, xq);
        m_pool.parallelFor(rows, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                for (int t = 0; t < n; ++t) y[int64_t(t) * rows + r] = integerDotRow(w.type, w.row(r), cols, xq, int64_t(t) * (cols / 32));
        });
        return;
    }
    if (hasKQuantDot(w.type)) { // the K-quants' integer dot against Q8_K-quantized activations
        Q8KBlocks xq;
        quantizeQ8KBlocks(xIn, int64_t(n) * cols, xq);
        m_pool.parallelFor(rows, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) kQuantDotTokens(w.type, w.row(r), cols, xq, 0, n, y + r, rows);
        });
        return;
    }
    // activations rounded as ggml's CPU backend rounds them for this weight type
    std::vector<float> rounded(static_cast<size_t>(n * cols));
    for (int t = 0; t < n; ++t) roundActivationsFor(w, xIn + int64_t(t) * cols, &rounded[size_t(t * cols)]);
    matmulSideBySide(w, rounded.data(), n, y, m_pool);
}

void CpuForward::attention(int layer, const float* q, int n, float* out) const {
    const ModelConfig& c = m_model.config;
    const int hd = c.headDim, kvDim = c.kvDim(), groups = c.nHeads / c.nKvHeads;
    const float* keys = m_keyCache.data() + size_t(layer) * m_capacity * kvDim;
    const float* values = m_valueCache.data() + size_t(layer) * m_capacity * kvDim;
    const float scale = c.scoreScale();
    const float qScale = c.queryPreScale ? scale : 1.0f, scoreScale = c.queryPreScale ? 1.0f : scale;
    const int window = c.windowAt(layer); // Gemma 2's local layers: the last `window` positions only
    m_pool.parallelFor(int64_t(n) * c.nHeads, [&](int64_t begin, int64_t end) {
        std::vector<float> scores(static_cast<size_t>(m_capacity));
        for (int64_t job = begin; job < end; ++job) {
            const int t = int(job / c.nHeads), h = int(job % c.nHeads);
            const int pos = m_pos + t;            // this token's position
            const int kvHead = h / groups;        // grouped-query attention
            const float* qRow = q + size_t(t) * c.nHeads * hd + size_t(h) * hd;
            // with an F16 cache, ggml multiplies in F16: the query is rounded to F16 too
            float qh[256];
            for (int i = 0; i < hd; ++i) qh[i] = roundKv(qRow[i] * qScale, m_options.kvType);
            // scores over the cached positions this query sees, up to and including its own (causal)
            const int first = window > 0 ? std::max(0, pos - window + 1) : 0;
            for (int p = first; p <= pos; ++p) {
                const float* k = keys + size_t(p) * kvDim + size_t(kvHead) * hd;
                float dot = 0;
                for (int i = 0; i < hd; ++i) dot += qh[i] * k[i];
                const float s = dot * scoreScale;
                scores[size_t(p)] = c.attnSoftcap > 0 ? softcap(s, c.attnSoftcap) : s;
            }
            softmax(scores.data() + first, pos + 1 - first);
            float* o = out + size_t(t) * c.nHeads * hd + size_t(h) * hd;
            std::fill(o, o + hd, 0.0f);
            for (int p = first; p <= pos; ++p) {
                const float* v = values + size_t(p) * kvDim + size_t(kvHead) * hd;
                const float a = roundKv(scores[size_t(p)], m_options.kvType); // F16 probabilities against F16 values
                for (int i = 0; i < hd; ++i) o[i] += a * v[i];
            }
        }
    });
}

void CpuForward::postNorm(std::vector<float>& rows, const std::vector<float>& gain, int n) const {
    const int dim = m_model.config.dim;
    for (int t = 0; t < n; ++t) { // in place: rmsNorm has its sum before it writes
        float* row = &rows[size_t(t) * dim];
        rmsNorm(row, gain.data(), dim, m_model.config.normEps, row);
    }
}

void CpuForward::embed(const int* tokens, int n, float* x) const {
    const ModelConfig& c = m_model.config;
    for (int t = 0; t < n; ++t) m_model.weights.tokenEmbedding.dequantizeRowTo(tokens[t], x + size_t(t) * c.dim);
    if (c.embeddingScale != 1.0f) // Gemma 2: x sqrt(dim)
        for (size_t i = 0; i < size_t(n) * c.dim; ++i) x[i] *= c.embeddingScale;
}

void CpuForward::forwardLayers(float* x, int n, int firstLayer, int lastLayer) {
    const ModelConfig& c = m_model.config;
    const ModelWeights& w = m_model.weights;
    if (n <= 0 || m_pos + n > m_capacity || firstLayer < 0 || lastLayer > c.nLayers || firstLayer > lastLayer)
        throw Error(m_model.path + ": layers " + std::to_string(firstLayer) + ".." + std::to_string(lastLayer) + " over " + std::to_string(n) +
                    " rows at position " + std::to_string(m_pos) + ", expected layers within 0.." + std::to_string(c.nLayers) + " and 1.." +
                    std::to_string(m_capacity - m_pos) + " rows");
    const int dim = c.dim, qDim = c.qDim(), kvDim = c.kvDim(), ffn = c.ffnDim;
    std::vector<float> xb(size_t(n) * dim), q(size_t(n) * qDim), k(size_t(n) * kvDim), v(size_t(n) * kvDim), att(size_t(n) * qDim),
        proj(size_t(n) * dim), gate(size_t(n) * ffn), up(size_t(n) * ffn);
    const size_t xSize = size_t(n) * dim;

    // RoPE angles of each position, the same for every layer: [token][pair] cos, sin
    const size_t pairs = size_t(m_rope.pairs());
    std::vector<float> cs(size_t(n) * pairs), sn(size_t(n) * pairs);
    for (int t = 0; t < n; ++t) m_rope.at(m_pos + t, &cs[size_t(t) * pairs], &sn[size_t(t) * pairs]);

    for (int l = firstLayer; l < lastLayer; ++l) {
        const LayerWeights& L = w.layers[size_t(l)];

        // attention rmsnorm
        const LayerVectors& V = m_vectors[size_t(l)];
        for (int t = 0; t < n; ++t) rmsNorm(&x[size_t(t) * dim], V.attnNorm.data(), dim, c.normEps, &xb[size_t(t) * dim]);

        // qkv matmuls (+ biases for Qwen2)
        matmul(L.wq, xb.data(), n, q.data());
        matmul(L.wk, xb.data(), n, k.data());
        matmul(L.wv, xb.data(), n, v.data());
        if (!V.bq.empty()) {
            const auto &bq = V.bq, &bk = V.bk, &bv = V.bv;
            for (int t = 0; t < n; ++t) {
                for (int i = 0; i < qDim; ++i) q[size_t(t) * qDim + i] += bq[size_t(i)];
                for (int i = 0; i < kvDim; ++i) k[size_t(t) * kvDim + i] += bk[size_t(i)];
                for (int i = 0; i < kvDim; ++i) v[size_t(t) * kvDim + i] += bv[size_t(i)];
            }
        }

        // RoPE on every query and key head
        for (int t = 0; t < n; ++t) {
            const float *tc = &cs[size_t(t) * pairs], *ts = &sn[size_t(t) * pairs];
            for (int h = 0; h < c.nHeads; ++h) rope(&q[size_t(t) * qDim + size_t(h) * c.headDim], c, tc, ts);
            for (int h = 0; h < c.nKvHeads; ++h) rope(&k[size_t(t) * kvDim + size_t(h) * c.headDim], c, tc, ts);
        }

        // append keys and values to the cache
        for (int t = 0; t < n; ++t) {
            const size_t at = (size_t(l) * m_capacity + size_t(m_pos + t)) * kvDim;
            std::copy_n(&k[size_t(t) * kvDim], kvDim, &m_keyCache[at]);
            std::copy_n(&v[size_t(t) * kvDim], kvDim, &m_valueCache[at]);
            roundKvRow(m_options.kvType, &m_keyCache[at], kvDim);
            roundKvRow(m_options.kvType, &m_valueCache[at], kvDim);
        }

        // grouped-query attention over the cache, then the output projection
        attention(l, q.data(), n, att.data());
        matmul(L.wo, att.data(), n, proj.data());
        if (c.postNorms) postNorm(proj, V.postAttnNorm, n);

        // residual
        for (size_t i = 0; i < xSize; ++i) x[i] += proj[i];

        // ffn rmsnorm
        for (int t = 0; t < n; ++t) rmsNorm(&x[size_t(t) * dim], V.ffnNorm.data(), dim, c.normEps, &xb[size_t(t) * dim]);

        // gated FFN: down( act(gate(x)) * up(x) ), act = SiLU (SwiGLU) or GELU (GeGLU)
        matmul(L.wGate, xb.data(), n, gate.data());
        matmul(L.wUp, xb.data(), n, up.data());
        if (c.ffnActivation == FfnActivation::GeluTanh) {
            for (size_t i = 0; i < gate.size(); ++i) gate[i] = geluRef(gate[i]) * up[i];
        } else {
            for (size_t i = 0; i < gate.size(); ++i) {
                const float g = gate[i];
                gate[i] = g / (1.0f + expRef(-g)) * up[i];
            }
        }
        matmul(L.wDown, gate.data(), n, proj.data());
        if (c.postNorms) postNorm(proj, V.postFfnNorm, n);

        // residual
        for (size_t i = 0; i < xSize; ++i) x[i] += proj[i];
    }
}

void CpuForward::forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) {
    const ModelConfig& c = m_model.config;
    const ModelWeights& w = m_model.weights;
    checkForwardInput(tokens, n, m_pos, m_capacity, c.vocabSize);
    const int dim = c.dim;
    std::vector<float> x(size_t(n) * dim), xb(size_t(n) * dim);
    embed(tokens, n, x.data());
    forwardLayers(x.data(), n, 0, c.nLayers);

    // final rmsnorm and the classifier, for every token or just the last
    const int first = allLogits ? 0 : n - 1, count = n - first;
    for (int t = first; t < n; ++t) rmsNorm(&x[size_t(t) * dim], m_outputNorm.data(), dim, c.normEps, &xb[size_t(t - first) * dim]);
    logits.resize(size_t(count) * c.vocabSize);
    matmul(w.output, xb.data(), count, logits.data());
    if (c.finalSoftcap > 0)
        for (float& l : logits) l = softcap(l, c.finalSoftcap);

    m_pos += n;
}

} // namespace qb
