#include "vk/engine.h"

#include "common/error.h"
#include "push_constants.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace qb::vk {

namespace {

constexpr uint32_t kWorkgroup = 64;
uint32_t groups(uint64_t n, uint32_t per = kWorkgroup) { return uint32_t((n + per - 1) / per); }

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Which activation rounding a weight type needs (ggml's vec_dot_type), "" for none.
std::string roundingFor(const Tensor& t) {
    switch (t.type) {
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::Q8_0: return "q8_0";
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K: return "q8_k";
    case GgmlType::F16: return "f16";
    case GgmlType::BF16: return "bf16";
    case GgmlType::QB_I8_CH: return t.inputScale ? "i8_static" : "i8_dyn";
    default: return "";
    }
}

} // namespace

std::optional<std::string> vulkanSelector(const std::string& device) {
    if (device == "vulkan") return std::string();
    if (device.rfind("vulkan:", 0) == 0 && device.size() > 7) return device.substr(7);
    return std::nullopt;
}

VkForward::VkForward(const Model& model, Context& ctx, VkForwardOptions options)
    : m_model(model), m_ctx(ctx), m_options(options), m_batch(ctx) {
    const ModelConfig& c = model.config;
    m_capacity = options.contextLength > 0 ? options.contextLength
                                           : std::min(c.contextLength > 0 ? c.contextLength : CpuForwardOptions::kDefaultContext,
                                                      CpuForwardOptions::kDefaultContext);
    const ModelWeights& w = model.weights;
    m_embedding = uploadWeight(w.tokenEmbedding);
    m_output = uploadWeight(w.output);
    m_outputNorm = uploadFloats(w.outputNorm, "output_norm.weight");
    m_dummy = std::make_unique<Buffer>(ctx, 16, Placement::DeviceLocal, "unused binding");
    for (const LayerWeights& L : w.layers) {
        Layer l;
        l.wq = uploadWeight(L.wq);
        l.wk = uploadWeight(L.wk);
        l.wv = uploadWeight(L.wv);
        l.wo = uploadWeight(L.wo);
        l.gate = uploadWeight(L.wGate);
        l.up = uploadWeight(L.wUp);
        l.down = uploadWeight(L.wDown);
        l.attnNorm = uploadFloats(L.attnNorm, L.attnNorm.name);
        l.ffnNorm = uploadFloats(L.ffnNorm, L.ffnNorm.name);
        if (L.bq.present()) {
            l.bq = uploadFloats(L.bq, L.bq.name);
            l.bk = uploadFloats(L.bk, L.bk.name);
            l.bv = uploadFloats(L.bv, L.bv.name);
        }
        const VkDeviceSize cacheBytes = VkDeviceSize(m_capacity) * VkDeviceSize(c.kvDim()) * 4;
        l.kCache = std::make_unique<Buffer>(ctx, cacheBytes, Placement::DeviceLocal, "K cache of " + L.wk.name);
        l.vCache = std::make_unique<Buffer>(ctx, cacheBytes, Placement::DeviceLocal, "V cache of " + L.wv.name);
        m_layers.push_back(std::move(l));
    }
}

VkForward::~VkForward() = default;

VkForward::Weight VkForward::uploadWeight(const Tensor& t) {
    Weight w;
    w.tensor = &t;
    w.data = std::make_unique<Buffer>(m_ctx, t.bytes, Placement::DeviceLocal, t.name);
    w.data->upload(t.data, t.bytes); // straight from the mapped file, still quantized
    if (t.rowScale) {
        w.rowScale = std::make_unique<Buffer>(m_ctx, VkDeviceSize(t.rows()) * 4, Placement::DeviceLocal, t.name + "_scale");
        w.rowScale->upload(t.rowScale, VkDeviceSize(t.rows()) * 4);
    }
    if (t.inputScale) {
        w.inputScale = std::make_unique<Buffer>(m_ctx, 4, Placement::DeviceLocal, t.name + "_input_scale");
        w.inputScale->upload(t.inputScale, 4);
    }
    return w;
}

std::unique_ptr<Buffer> VkForward::uploadFloats(const Tensor& t, const std::string& name) {
    const std::vector<float> v = dequantizeTensor(t);
    auto b = std::make_unique<Buffer>(m_ctx, v.size() * 4, Placement::DeviceLocal, name);
    b->upload(v.data(), v.size() * 4);
    return b;
}

Pipeline& VkForward::pipeline(const std::string& name, uint32_t bindings, uint32_t pushBytes) {
    auto it = m_pipelines.find(name);
    if (it == m_pipelines.end()) it = m_pipelines.emplace(name, std::make_unique<Pipeline>(m_ctx, name, bindings, pushBytes, kWorkgroup)).first;
    return *it->second;
}

void VkForward::ensureScratch(int n) {
    if (n <= m_scratchTokens) return;
    const ModelConfig& c = m_model.config;
    const VkDeviceSize N = VkDeviceSize(n), f = 4;
    const VkDeviceSize widest = VkDeviceSize(std::max(c.dim, c.ffnDim));
    auto make = [&](VkDeviceSize bytes, const char* name, Placement pl = Placement::DeviceLocal) {
        return std::make_unique<Buffer>(m_ctx, bytes, pl, name);
    };
    m_ids = make(N * 4, "token ids", Placement::HostVisible);
    m_angles = make(N * VkDeviceSize(c.headDim) * f, "rope angles", Placement::HostVisible);
    m_x = make(N * c.dim * f, "residual stream");
    m_xb = make(N * widest * f, "normed activations");
    m_xr = make(N * widest * f, "rounded activations");
    m_q = make(N * c.nHeads * c.headDim * f, "queries");
    m_k = make(N * c.kvDim() * f, "keys");
    m_v = make(N * c.kvDim() * f, "values");
    m_att = make(N * c.nHeads * c.headDim * f, "attention output");
    m_proj = make(N * c.dim * f, "projection");
    m_gate = make(N * c.ffnDim * f, "ffn gate");
    m_up = make(N * c.ffnDim * f, "ffn up");
    m_scores = make(N * c.nHeads * VkDeviceSize(m_capacity) * f, "attention scores");
    m_logits = make(N * c.vocabSize * f, "logits", Placement::HostVisible);
    m_scratchTokens = n;
}

void VkForward::matmul(const Weight& w, const Buffer& in, Buffer& out, int n) {
    const Tensor& t = *w.tensor;
    const std::string rounding = roundingFor(t);
    const Buffer* x = &in;
    if (!rounding.empty()) {
        RoundPush rp{uint32_t(t.cols()), uint32_t(n), 0, 0};
        uint64_t invocations = rounding == "q8_0" ? uint64_t(n) * t.cols() / 32 : rounding == "q8_k" ? uint64_t(n) * t.cols() / 256
                             : rounding.rfind("i8", 0) == 0 ? uint64_t(n) : uint64_t(n) * t.cols();
        m_batch.dispatch(pipeline("round_act_" + rounding, 3, sizeof rp), {&in, m_xr.get(), w.inputScale ? w.inputScale.get() : m_dummy.get()},
                         &rp, sizeof rp, groups(invocations));
        x = m_xr.get();
    }
    MatmulPush mp{uint32_t(t.rows()), uint32_t(t.cols()), uint32_t(n), uint32_t(t.rowStride())};
    m_batch.dispatch(pipeline("matmul_" + lower(typeName(t.type)), 4, sizeof mp),
                     {w.data.get(), x, &out, w.rowScale ? w.rowScale.get() : m_dummy.get()}, &mp, sizeof mp, groups(uint64_t(t.rows())),
                     uint32_t((n + 3) / 4));
}

void VkForward::rmsNorm(const Buffer& in, const Buffer& gain, Buffer& out, int n) {
    NormPush np{uint32_t(m_model.config.dim), uint32_t(n), m_model.config.normEps, 0};
    m_batch.dispatch(pipeline(m_ctx.info().float64 ? "rms_norm" : "rms_norm_f32", 3, sizeof np), {&in, &gain, &out}, &np, sizeof np, groups(uint64_t(n)));
}

void VkForward::eltwise(const char* op, Buffer& a, const Buffer& b, uint32_t count, uint32_t period) {
    EltwisePush ep{count, period, 0, 0};
    m_batch.dispatch(pipeline(std::string("eltwise_") + op, 2, sizeof ep), {&a, &b}, &ep, sizeof ep, groups(count));
}

void VkForward::rope(Buffer& data, int heads, int n) {
    const ModelConfig& c = m_model.config;
    RopePush rp{uint32_t(heads), uint32_t(c.headDim), uint32_t(n), uint32_t(heads * c.headDim), c.rope == RopeLayout::NeoX ? 1u : 0u, 0, 0, 0};
    m_batch.dispatch(pipeline("rope", 2, sizeof rp), {&data, m_angles.get()}, &rp, sizeof rp, groups(uint64_t(n) * heads * (c.headDim / 2)));
}

void VkForward::forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) {
    const ModelConfig& c = m_model.config;
    if (n <= 0) throw Error("forward: no tokens to run");
    if (m_pos + n > m_capacity)
        throw Error("context full: " + std::to_string(m_pos) + " + " + std::to_string(n) + " tokens exceed the context of " +
                    std::to_string(m_capacity));
    for (int t = 0; t < n; ++t)
        if (tokens[t] < 0 || tokens[t] >= c.vocabSize)
            throw Error("forward: token id " + std::to_string(tokens[t]) + " is outside the vocabulary (0.." + std::to_string(c.vocabSize - 1) + ")");
    ensureScratch(n);
    std::vector<uint32_t> ids(tokens, tokens + n);
    m_ids->upload(ids.data(), ids.size() * 4);
    std::vector<float> angles(size_t(n) * size_t(c.headDim)), cs(size_t(c.headDim / 2)), sn(size_t(c.headDim / 2));
    for (int t = 0; t < n; ++t) {
        ropeAngles(m_pos + t, c.headDim, c.ropeFreqBase, cs.data(), sn.data());
        for (int i = 0; i < c.headDim / 2; ++i) {
            angles[size_t(t * c.headDim + 2 * i)] = cs[size_t(i)];
            angles[size_t(t * c.headDim + 2 * i + 1)] = sn[size_t(i)];
        }
    }
    m_angles->upload(angles.data(), angles.size() * 4);
    const uint32_t dim = uint32_t(c.dim), qDim = uint32_t(c.nHeads * c.headDim), kvDim = uint32_t(c.kvDim()), ffn = uint32_t(c.ffnDim);

    // token embeddings
    const Tensor& emb = *m_embedding.tensor;
    GetRowsPush gp{dim, uint32_t(n), uint32_t(emb.rowStride()), 0};
    m_batch.dispatch(pipeline("get_rows_" + lower(typeName(emb.type)), 4, sizeof gp),
                     {m_embedding.data.get(), m_ids.get(), m_x.get(), m_embedding.rowScale ? m_embedding.rowScale.get() : m_dummy.get()}, &gp,
                     sizeof gp, groups(dim, 32), uint32_t(n));

    for (size_t li = 0; li < m_layers.size(); ++li) {
        Layer& L = m_layers[li];
        // attention
        rmsNorm(*m_x, *L.attnNorm, *m_xb, n);
        matmul(L.wq, *m_xb, *m_q, n);
        matmul(L.wk, *m_xb, *m_k, n);
        matmul(L.wv, *m_xb, *m_v, n);
        if (L.bq) {
            eltwise("bias", *m_q, *L.bq, uint32_t(n) * qDim, qDim);
            eltwise("bias", *m_k, *L.bk, uint32_t(n) * kvDim, kvDim);
            eltwise("bias", *m_v, *L.bv, uint32_t(n) * kvDim, kvDim);
        }
        rope(*m_q, c.nHeads, n);
        rope(*m_k, c.nKvHeads, n);
        const uint32_t f16 = m_options.kvType == KvCacheType::F16 ? 1u : 0u;
        KvStorePush kp{kvDim, uint32_t(n), uint32_t(m_pos), f16};
        m_batch.dispatch(pipeline("kv_store", 2, sizeof kp), {m_k.get(), L.kCache.get()}, &kp, sizeof kp, groups(uint64_t(n) * kvDim));
        m_batch.dispatch(pipeline("kv_store", 2, sizeof kp), {m_v.get(), L.vCache.get()}, &kp, sizeof kp, groups(uint64_t(n) * kvDim));
        AttentionPush ap{uint32_t(c.nHeads), uint32_t(c.nKvHeads), uint32_t(c.headDim), uint32_t(n), uint32_t(m_pos), uint32_t(m_capacity),
                         1.0f / std::sqrt(float(c.headDim)), f16};
        m_batch.dispatch(pipeline(m_ctx.info().float64 ? "attention" : "attention_f32", 5, sizeof ap), {m_q.get(), L.kCache.get(), L.vCache.get(), m_scores.get(), m_att.get()}, &ap,
                         sizeof ap, groups(uint64_t(n) * c.nHeads));
        matmul(L.wo, *m_att, *m_proj, n);
        eltwise("add", *m_x, *m_proj, uint32_t(n) * dim);
        // SwiGLU feed-forward
        rmsNorm(*m_x, *L.ffnNorm, *m_xb, n);
        matmul(L.gate, *m_xb, *m_gate, n);
        matmul(L.up, *m_xb, *m_up, n);
        eltwise("swiglu", *m_gate, *m_up, uint32_t(n) * ffn);
        matmul(L.down, *m_gate, *m_proj, n);
        eltwise("add", *m_x, *m_proj, uint32_t(n) * dim);
    }
    rmsNorm(*m_x, *m_outputNorm, *m_xb, n);
    matmul(m_output, *m_xb, *m_logits, n);
    m_batch.submitAndWait();

    const size_t V = size_t(c.vocabSize);
    const int first = allLogits ? 0 : n - 1;
    logits.resize(size_t(n - first) * V);
    m_logits->download(logits.data(), logits.size() * 4, VkDeviceSize(first) * V * 4);
    m_pos += n;
}

} // namespace qb::vk
