#include "vk/engine.h"

#include "common/error.h"
#include "common/half.h"

#include <cstring>
#include "model/activation_rounding.h"
#include "model/activations.h"
#include "model/kquant_dot.h"
#include "vk/repack.h"
#include "push_constants.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace qb::vk {

namespace {

constexpr uint32_t kWorkgroup = 64, kSmallWorkgroup = 8, kDecodeWorkgroup = 32;
// Prefill attention runs this many queries a dispatch: its scores buffer is
// kAttentionChunk x heads x context floats, linear in the context, whatever the prompt.
constexpr int kAttentionChunk = 64;
uint32_t groups(uint64_t n, uint32_t per = kWorkgroup) { return uint32_t((n + per - 1) / per); }

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

constexpr VkDeviceSize kDummyBytes = 16; // the buffer bound where a kernel's optional input is absent

// Bytes of each per-batch buffer for n tokens (one table for allocation and estimates).
struct ScratchSizes {
    VkDeviceSize ids, angles, x, xb, xr, qkv, att, gateUp, ffn, scores, logits, xq, xm, post;
    VkDeviceSize total() const { return ids + angles + x + xb + xr + qkv + att + gateUp + ffn + scores + logits + xq + xm + post; }
};

ScratchSizes scratchSizes(const ModelConfig& c, int n, int capacity) {
    const VkDeviceSize N = VkDeviceSize(n), f = 4;
    const VkDeviceSize widest = VkDeviceSize(std::max({c.dim, c.ffnDim, c.qDim()}));
    return {N * 4,
            N * VkDeviceSize(c.headDim) * f,
            N * c.dim * f,
            N * widest * f,
            N * widest * f,
            N * VkDeviceSize(c.nHeads * c.headDim + 2 * c.kvDim()) * f,
            N * c.nHeads * c.headDim * f,
            N * 2 * VkDeviceSize(c.ffnDim) * f,
            N * c.ffnDim * f,
            VkDeviceSize(std::min(n, kAttentionChunk)) * c.nHeads * VkDeviceSize(capacity) * f, // one chunk of queries' scores
            N * c.vocabSize * f,
            N * (widest / 32) * 64, // Q8_0 pairs: 64 bytes a block of 32; Q8_K: 512 a super-block of 256
            N * (widest / 32) * 16, // Q8_0: 16 bytes a block of 32 (d, sum, Q8_1 s); Q8_K: 80 a super-block of 256
            c.postNorms ? N * c.dim * f : kDummyBytes};
}

// Bytes a value of the cache takes (+ a F32 scale per 32 for the byte formats).
VkDeviceSize kvBytesPerValue(KvCacheType t) { return t == KvCacheType::F32 ? 4 : t == KvCacheType::F16 ? 2 : 1; }

// layer_decode.comp's LAYER_<TYPE> code of a matrix type it multiplies (layerFusable checks)
uint32_t layerTypeCode(GgmlType t) {
    switch (t) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::BF16: return 2;
    case GgmlType::Q4_0: return 3;
    case GgmlType::Q8_0: return 4;
    case GgmlType::Q4_1: return 5;
    case GgmlType::Q5_0: return 6;
    case GgmlType::Q5_1: return 7;
    default: throw Error(std::string("internal: layer_decode has no ") + typeName(t) + " path", ErrorKind::Internal);
    }
}

VkDeviceSize layerScratchBytes(const ModelConfig& c) {
    return VkDeviceSize(std::max(c.dim, c.ffnDim) + 2 * c.nHeads * c.headDim + 2 * c.kvDim() + c.ffnDim) * 4;
}


} // namespace

std::optional<std::string> vulkanSelector(const std::string& device) {
    if (device == "vulkan") return std::string();
    if (device.rfind("vulkan:", 0) == 0 && device.size() > 7) return device.substr(7);
    return std::nullopt;
}

VkForward::VkForward(const Model& model, Context& ctx, VkForwardOptions options)
    : m_model(model), m_ctx(ctx), m_options(options), m_kernels(chooseKernelVariants(ctx.info())), m_batch(ctx) {
    const ModelConfig& c = model.config;
    if (c.headDim % 8 != 0) // attention.comp reads the caches eight values a texel
        throw Error(model.path + ": the Vulkan engine needs heads of a multiple of 8 values, this model's are " + std::to_string(c.headDim));
    if ((options.kvType == KvCacheType::Q8_0 || options.kvType == KvCacheType::FP8) && c.kvDim() % 32 != 0)
        throw Error(model.path + ": a " + std::string(kvCacheTypeName(options.kvType)) + " KV cache needs rows of a multiple of 32 values, this model's are " +
                    std::to_string(c.kvDim()));
    m_capacity = forwardCapacity(model, options.contextLength, CpuForwardOptions::kDefaultContext);
    m_rope = RopeAngles(model.config, m_capacity);
    const ModelWeights& w = model.weights;
    Job& job = options.job ? *options.job : noJob(); // progress a layer at a time; a cancel stops the upload there
    job.begin("upload", double(w.layers.size() + 1), "layers");
    m_embedding = uploadWeight(w.tokenEmbedding, false); // get_rows reads the file's layout
    m_output = uploadWeight(w.output);
    m_outputNorm = uploadFloats(w.outputNorm, "output_norm.weight");
    m_dummy = std::make_unique<Buffer>(ctx, kDummyBytes, Placement::DeviceLocal, "unused binding");
    if (model.config.ffnActivation == FfnActivation::GeluTanh) {
        m_geluTable = std::make_unique<Buffer>(ctx, kGeluTableSize * 4, Placement::DeviceLocal, "GELU table (F16 inputs)");
        m_geluTable->upload(geluTableF16(), kGeluTableSize * 4);
    }
    for (const LayerWeights& L : w.layers) {
        Layer l;
        l.qkv = uploadStacked({&L.wq, &L.wk, &L.wv});
        l.gateUp = uploadStacked({&L.wGate, &L.wUp});
        l.wo = uploadWeight(L.wo);
        l.down = uploadWeight(L.wDown);
        l.attnNorm = uploadFloats(L.attnNorm, L.attnNorm.name);
        l.ffnNorm = uploadFloats(L.ffnNorm, L.ffnNorm.name);
        if (L.postAttnNorm.present()) {
            l.postAttnNorm = uploadFloats(L.postAttnNorm, L.postAttnNorm.name);
            l.postFfnNorm = uploadFloats(L.postFfnNorm, L.postFfnNorm.name);
        }
        if (L.bq.present()) { // q|k|v biases, matching the fused qkv rows
            std::vector<float> b = dequantizeTensor(L.bq);
            for (const Tensor* t : {&L.bk, &L.bv}) {
                const auto v = dequantizeTensor(*t);
                b.insert(b.end(), v.begin(), v.end());
            }
            l.qkvBias = std::make_unique<Buffer>(ctx, b.size() * 4, Placement::DeviceLocal, L.bq.name + " (q|k|v)");
            l.qkvBias->upload(b.data(), b.size() * 4);
        }
        // the cache in its storage format: 4, 2 or 1 bytes a value (+ a scale per 32 for Q8_0 / FP8)
        const VkDeviceSize values = VkDeviceSize(m_capacity) * VkDeviceSize(c.kvDim());
        const VkDeviceSize bytesPer = kvBytesPerValue(options.kvType);
        l.kCache = std::make_unique<Buffer>(ctx, values * bytesPer, Placement::DeviceLocal, "K cache of " + L.wk.name);
        l.vCache = std::make_unique<Buffer>(ctx, values * bytesPer, Placement::DeviceLocal, "V cache of " + L.wv.name);
        const VkDeviceSize scaleBytes = bytesPer == 1 ? values / 32 * 4 : 16;
        l.kScales = std::make_unique<Buffer>(ctx, scaleBytes, Placement::DeviceLocal, "K cache scales of " + L.wk.name);
        l.vScales = std::make_unique<Buffer>(ctx, scaleBytes, Placement::DeviceLocal, "V cache scales of " + L.wv.name);
        m_layers.push_back(std::move(l));
        job.step(double(m_layers.size()));
    }
    job.step(double(w.layers.size() + 1));
    m_layerFused = layerFusable();
    if (m_layerFused)
        m_layerScratch = std::make_unique<Buffer>(ctx, layerScratchBytes(c), Placement::DeviceLocal, "layer_decode scratch");
}

bool VkForward::layerFusable() const {
    using LF = KernelVariants::LayerFusion;
    if (m_kernels.layerFusion == LF::Never) return false;
    if (m_options.kvType != KvCacheType::F32 && m_options.kvType != KvCacheType::F16) return false;
    if (m_ctx.maxStorageBuffersPerStage() < 5) return false;
    const ModelConfig& c = m_model.config;
    if (std::max({c.dim, c.ffnDim, c.nHeads * c.headDim}) > 1024) return false; // LAYER_DECODE_MAX_WIDTH
    // Auto: on CPU devices (lavapipe), where a dispatch costs tens of microseconds, and for small
    // layers, where one workgroup on one core beats ~8 dispatches. GPUs keep all their cores busy
    // with the general kernels.
    const int64_t layerParams = int64_t(c.dim) * (2 * c.nHeads * c.headDim + 2 * c.kvDim()) + 3 * int64_t(c.dim) * c.ffnDim;
    if (m_kernels.layerFusion == LF::Auto && (m_ctx.info().type != "cpu" || layerParams > (int64_t(1) << 20))) return false;
    if (c.queryPreScale) return false; // layer_decode scales the scores
    // and knows neither windows, soft-caps, GELU nor post-norms (Gemma 2)
    if (c.localWindow > 0 || c.attnSoftcap > 0 || c.postNorms || c.ffnActivation != FfnActivation::SiLU) return false;
    for (const Layer& l : m_layers) {
        if (l.qkv.size() != 1 || l.gateUp.size() != 1) return false;
        for (const Weight* w : {&l.qkv[0], &l.wo, &l.gateUp[0], &l.down}) { // F32/F16/BF16 (pairs of values a word), the 32-value block types
            const bool plain = w->type == GgmlType::F32 || w->type == GgmlType::F16 || w->type == GgmlType::BF16;
            if (!(plain ? w->cols % 2 == 0 : actBlocks(*w) == ActBlocks::Q8_0)) return false;
        }
    }
    return true;
}

VkForward::~VkForward() = default;

std::string VkForward::kernelPaths() const {
    const DeviceInfo& d = m_ctx.info();
    return m_kernels.describe(d) + (m_layerFused ? ", decode one dispatch a layer (small layers)" : "") + ", KV cache " +
           kvCacheTypeName(m_options.kvType) + ", subgroup size " + std::to_string(d.subgroupSize);
}

uint64_t VkForward::kvCacheBytes() const {
    uint64_t n = 0;
    for (const Layer& l : m_layers) {
        n += l.kCache->size() + l.vCache->size();
        if (m_options.kvType == KvCacheType::Q8_0 || m_options.kvType == KvCacheType::FP8) n += l.kScales->size() + l.vScales->size();
    }
    return n;
}

MemoryUse VkForward::memoryUse() const {
    MemoryUse m;
    auto size = [](const std::unique_ptr<Buffer>& b) -> uint64_t { return b ? b->size() : 0; };
    auto weight = [&](const Weight& w) { m.weights += size(w.data) + size(w.rowScale) + size(w.inputScale); };
    weight(m_embedding);
    weight(m_output);
    m.weights += size(m_outputNorm);
    for (const Layer& l : m_layers) {
        for (const Weight& w : l.qkv) weight(w);
        for (const Weight& w : l.gateUp) weight(w);
        weight(l.wo);
        weight(l.down);
        m.weights += size(l.attnNorm) + size(l.ffnNorm) + size(l.qkvBias) + size(l.postAttnNorm) + size(l.postFfnNorm);
    }
    m.kvCache = kvCacheBytes();
    for (const auto* b : {&m_dummy, &m_angles, &m_ids, &m_x, &m_xb, &m_xr, &m_qkv, &m_att, &m_gateUp, &m_ffn, &m_scores, &m_logits, &m_xq, &m_xm,
                          &m_layerScratch, &m_geluTable, &m_post})
        m.scratch += size(*b);
    return m;
}

void VkForward::uploadData(Weight& w, const std::vector<const Tensor*>& parts) {
    uint64_t bytes = 0;
    for (const Tensor* t : parts) bytes += t->bytes;
    w.repacked = repackable(w.type);
    if (!w.repacked) { // straight from the mapped file, still quantized
        w.data = std::make_unique<Buffer>(m_ctx, bytes, Placement::DeviceLocal, w.name);
        uint64_t offset = 0;
        for (const Tensor* t : parts) {
            w.data->upload(t->data, t->bytes, offset);
            offset += t->bytes;
        }
        return;
    }
    std::vector<std::pair<const uint8_t*, uint64_t>> spans;
    for (const Tensor* t : parts) spans.emplace_back(t->data, t->bytes);
    const RepackedBlocks r = repackBlocks(w.type, w.cols, spans);
    w.data = std::make_unique<Buffer>(m_ctx, r.quants.size(), Placement::DeviceLocal, w.name + " (repacked quants)");
    w.data->upload(r.quants.data(), r.quants.size());
    w.rowScale = std::make_unique<Buffer>(m_ctx, r.scales.size() * 4, Placement::DeviceLocal, w.name + " (block scales)");
    w.rowScale->upload(r.scales.data(), r.scales.size() * 4);
}

VkForward::Weight VkForward::uploadWeight(const Tensor& t, bool allowRepack) {
    Weight w;
    w.name = t.name;
    w.type = t.type;
    w.rows = t.rows();
    w.cols = t.cols();
    w.rowStride = t.rowStride();
    if (allowRepack) {
        uploadData(w, {&t});
    } else {
        w.data = std::make_unique<Buffer>(m_ctx, t.bytes, Placement::DeviceLocal, t.name);
        w.data->upload(t.data, t.bytes);
    }
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

std::vector<VkForward::Weight> VkForward::uploadStacked(const std::vector<const Tensor*>& parts) {
    bool same = true;
    for (const Tensor* t : parts)
        same = same && t->type == parts[0]->type && t->cols() == parts[0]->cols() && !t->inputScale;
    std::vector<Weight> out;
    if (!same) {
        for (const Tensor* t : parts) out.push_back(uploadWeight(*t));
        return out;
    }
    Weight w;
    w.type = parts[0]->type;
    w.cols = parts[0]->cols();
    w.rowStride = parts[0]->rowStride();
    for (const Tensor* t : parts) {
        w.rows += t->rows();
        w.name += (w.name.empty() ? "" : "|") + t->name;
    }
    uploadData(w, parts);
    if (parts[0]->rowScale) {
        std::vector<float> scales;
        for (const Tensor* t : parts) scales.insert(scales.end(), t->rowScale, t->rowScale + t->rows());
        w.rowScale = std::make_unique<Buffer>(m_ctx, scales.size() * 4, Placement::DeviceLocal, w.name + "_scale");
        w.rowScale->upload(scales.data(), scales.size() * 4);
    }
    out.push_back(std::move(w));
    return out;
}

std::unique_ptr<Buffer> VkForward::uploadFloats(const Tensor& t, const std::string& name) {
    const std::vector<float> v = dequantizeTensor(t);
    auto b = std::make_unique<Buffer>(m_ctx, v.size() * 4, Placement::DeviceLocal, name);
    b->upload(v.data(), v.size() * 4);
    return b;
}

Pipeline& VkForward::pipeline(const std::string& name, uint32_t bindings, uint32_t pushBytes, const std::vector<VkFormat>& texelFormats,
                               uint32_t workgroup) {
    auto it = m_pipelines.find(name);
    if (it == m_pipelines.end())
        it = m_pipelines.emplace(name, std::make_unique<Pipeline>(m_ctx, name, bindings, pushBytes, workgroup, texelFormats)).first;
    return *it->second;
}


MemoryUse VkForward::estimate(const Model& model, int contextLength, KvCacheType kvType, int batchTokens) {
    const ModelConfig& c = model.config;
    MemoryUse m;
    m.weights = model.weightBytes();
    const VkDeviceSize values = VkDeviceSize(contextLength) * VkDeviceSize(c.kvDim());
    const VkDeviceSize bytesPer = kvBytesPerValue(kvType);
    m.kvCache = uint64_t(c.nLayers) * 2 * (values * bytesPer + (bytesPer == 1 ? values / 32 * 4 : 0));
    m.scratch = scratchSizes(c, std::max(1, batchTokens), contextLength).total() + layerScratchBytes(c) + kDummyBytes +
                (c.ffnActivation == FfnActivation::GeluTanh ? kGeluTableSize * 4 : 0);
    return m;
}

void VkForward::ensureScratch(int n) {
    if (n <= m_scratchTokens) return;
    m_batch.forgetDescriptorSets(); // they point at the buffers about to be replaced
    const ScratchSizes z = scratchSizes(m_model.config, n, m_capacity);
    auto make = [&](VkDeviceSize bytes, const char* name, Placement pl = Placement::DeviceLocal) {
        return std::make_unique<Buffer>(m_ctx, bytes, pl, name);
    };
    m_ids = make(z.ids, "token ids", Placement::HostVisible);
    m_angles = make(z.angles, "rope angles", Placement::HostVisible);
    m_x = make(z.x, "residual stream");
    m_xb = make(z.xb, "normed activations");
    m_xr = make(z.xr, "rounded activations");
    m_qkv = make(z.qkv, "q|k|v");
    m_att = make(z.att, "attention output");
    m_gateUp = make(z.gateUp, "ffn gate|up");
    m_ffn = make(z.ffn, "ffn hidden");
    m_scores = make(z.scores, "attention scores");
    m_logits = make(z.logits, "logits", Placement::HostVisible);
    m_xq = make(z.xq, "activations as Q8_0 quants");
    m_xm = make(z.xm, "activation Q8_0 scales and sums");
    m_post = make(z.post, "block output before its post-norm");
    m_scratchTokens = n;
}

void VkForward::matmul(const Weight& w, const Buffer& in, Buffer& out, int n, uint32_t yStride, uint32_t yOffset, bool accumulate) {
    if (w.repacked) {
        quantizeActs("none", actBlocks(w), in, nullptr, uint32_t(w.cols), n, uint32_t(w.cols));
        matmulQ(w, out, n, yStride, yOffset, accumulate);
        return;
    }
    const ActivationRounding rounding = activationRounding(w.type, w.inputScale != nullptr);
    const Buffer* x = &in;
    if (rounding != ActivationRounding::None) {
        RoundPush rp{uint32_t(w.cols), uint32_t(n), 0, 0};
        const uint64_t invocations = uint64_t(n) * uint64_t(w.cols) / uint64_t(activationRoundingSpan(rounding, w.cols));
        m_batch.dispatch(pipeline(std::string("round_act_") + activationRoundingName(rounding), 3, sizeof rp), {&in, m_xr.get(), w.inputScale ? w.inputScale.get() : m_dummy.get()},
                         &rp, sizeof rp, groups(invocations));
        x = m_xr.get();
    }
    // 1 row x 4 tokens per invocation
    MatmulPush mp{uint32_t(w.rows), uint32_t(w.cols), uint32_t(n), uint32_t(w.rowStride), yStride, yOffset, accumulate ? 1u : 0u, 0};
    m_batch.dispatch(pipeline("matmul_" + lower(typeName(w.type)), 4, sizeof mp, matmulBindings()), {w.data.get(), x, &out, w.rowScale ? w.rowScale.get() : m_dummy.get()},
                     &mp, sizeof mp, groups(uint64_t(w.rows)), uint32_t((n + 3) / 4));
}

VkForward::ActBlocks VkForward::actBlocks(const Weight& w) {
    return !w.repacked ? ActBlocks::None : hasKQuantDot(w.type) ? ActBlocks::Q8_K : ActBlocks::Q8_0;
}

void VkForward::quantizeActs(const char* pre, ActBlocks blocks, const Buffer& in, const Buffer* gain, uint32_t cols, int n, uint32_t inStride,
                             uint32_t firstToken) {
    const bool k = blocks == ActBlocks::Q8_K;
    std::string name = std::string(k ? "act_q8_k_" : "act_q8_0_") + pre;
    if (std::string(pre) == "norm" && !m_kernels.float64) name += "_f32";
    if (!k) name += m_kernels.dot4 ? "_bytes" : "_pairs";
    ActQuantPush ap{cols, uint32_t(n), m_model.config.normEps, inStride, firstToken, 0, 0, 0};
    // small workgroups: a decode row is only dim/32 blocks, and each workgroup runs on one lavapipe thread;
    // Q8_K: one workgroup of 8 lanes per super-block (act_q8_k.comp)
    m_batch.dispatch(pipeline(name, 4, sizeof ap, k ? actQuantKBindings() : actQuantBindings(), kSmallWorkgroup),
                     {&in, gain ? gain : m_dummy.get(), m_xq.get(), m_xm.get()}, &ap, sizeof ap,
                     k ? uint32_t(n) * (cols / 256) : groups(uint64_t(n) * (cols / 32), kSmallWorkgroup));
}

void VkForward::matmulQ(const Weight& w, Buffer& out, int n, uint32_t yStride, uint32_t yOffset, bool accumulate) {
    // an invocation computes 4 rows x 1 token (decode) or x 4 tokens (prefill); K-quants 16 x 1 or 8 x 4
    MatmulPush mp{uint32_t(w.rows), uint32_t(w.cols), uint32_t(n), uint32_t(w.rowStride), yStride, yOffset, accumulate ? 1u : 0u, 0};
    if (hasKQuantDot(w.type)) { // K-quants: one kernel on every device, bit-identical with the CPU
        const std::string name = std::string(n == 1 ? "matmul_k_" : "matmul_k4t_") + lower(typeName(w.type));
        const uint64_t rowsPer = n == 1 ? 16 : 8; // matmul_k.comp's ROWS of each variant (shaders/CMakeLists.txt)
        const uint32_t wg = n == 1 ? kDecodeWorkgroup : kWorkgroup;
        m_batch.dispatch(pipeline(name, 5, sizeof mp, matmulKBindings(), wg), {w.data.get(), m_xq.get(), &out, w.rowScale.get(), m_xm.get()}, &mp,
                         sizeof mp, groups((uint64_t(w.rows) + rowsPer - 1) / rowsPer, wg), n == 1 ? 1u : uint32_t((n + 3) / 4));
        return;
    }
    if (n == 1 && m_kernels.subgroup) { // 8 rows per workgroup of 64 lanes
        const std::string name = std::string("matmul_q_subgroup_") + (m_kernels.dot4 ? "dot4_" : "") + lower(typeName(w.type));
        m_batch.dispatch(pipeline(name, 5, sizeof mp, matmulQBindings()), {w.data.get(), m_xq.get(), &out, w.rowScale.get(), m_xm.get()}, &mp,
                         sizeof mp, groups(uint64_t(w.rows), 8));
        return;
    }
    const std::string name = std::string(n == 1 ? "matmul_q_" : "matmul_q4t_") + (m_kernels.dot4 ? "dot4_" : "") + lower(typeName(w.type));
    const uint32_t wg = n == 1 ? kDecodeWorkgroup : kWorkgroup;
    m_batch.dispatch(pipeline(name, 5, sizeof mp, matmulQBindings(), wg), {w.data.get(), m_xq.get(), &out, w.rowScale.get(), m_xm.get()}, &mp,
                     sizeof mp, groups(uint64_t(w.rows + 3) / 4, wg), n == 1 ? 1u : uint32_t((n + 3) / 4));
}

void VkForward::normedMatmuls(const Buffer& gain, std::span<const Weight> ws, Buffer& out, int n, uint32_t yStride, uint32_t firstToken) {
    const ActBlocks blocks = actBlocks(ws.front());
    const bool shared = blocks != ActBlocks::None && std::all_of(ws.begin(), ws.end(), [&](const Weight& w) { return actBlocks(w) == blocks; });
    uint32_t offset = 0;
    if (shared) { // one fused norm + quantize for every weight of the stack
        quantizeActs("norm", blocks, *m_x, &gain, uint32_t(m_model.config.dim), n, uint32_t(m_model.config.dim), firstToken);
        for (const Weight& w : ws) {
            matmulQ(w, out, n, yStride, offset, false);
            offset += uint32_t(w.rows);
        }
        return;
    }
    rmsNorm(*m_x, gain, *m_xb, n, firstToken);
    matmulStacked(ws, *m_xb, out, n, yStride);
}

void VkForward::matmulStacked(std::span<const Weight> ws, const Buffer& in, Buffer& out, int n, uint32_t yStride) {
    uint32_t offset = 0;
    for (const Weight& w : ws) {
        matmul(w, in, out, n, yStride, offset, false);
        offset += uint32_t(w.rows);
    }
}

void VkForward::rmsNorm(const Buffer& in, const Buffer& gain, Buffer& out, int n, uint32_t firstToken) {
    NormPush np{uint32_t(m_model.config.dim), uint32_t(n), m_model.config.normEps, firstToken};
    m_batch.dispatch(pipeline(m_ctx.info().float64 ? "rms_norm" : "rms_norm_f32", 3, sizeof np), {&in, &gain, &out}, &np, sizeof np, groups(uint64_t(n)));
}

void VkForward::eltwise(const char* op, Buffer& a, const Buffer& b, uint32_t count, uint32_t period, float factor) {
    EltwisePush ep{count, period, factor, 0};
    const std::string name = std::string("eltwise_") + op;
    if (name == "eltwise_geglu") // ggml's GELU table in binding 2
        m_batch.dispatch(pipeline(name, 3, sizeof ep), {&a, &b, m_geluTable.get()}, &ep, sizeof ep, groups(count));
    else
        m_batch.dispatch(pipeline(name, 2, sizeof ep), {&a, &b}, &ep, sizeof ep, groups(count));
}

void VkForward::postNormAdd(const Buffer& gain, int n) {
    rmsNorm(*m_post, gain, *m_xb, n);
    eltwise("add", *m_x, *m_xb, uint32_t(n) * uint32_t(m_model.config.dim));
}

void VkForward::rope(Buffer& data, int heads, int n, uint32_t rowStride) {
    const ModelConfig& c = m_model.config;
    RopePush rp{uint32_t(heads), uint32_t(c.headDim), uint32_t(n), rowStride, c.rope == RopeLayout::NeoX ? 1u : 0u, 0, 0, 0};
    m_batch.dispatch(pipeline("rope", 2, sizeof rp, {}, kSmallWorkgroup), {&data, m_angles.get()}, &rp, sizeof rp,
                     groups(uint64_t(n) * heads, kSmallWorkgroup)); // a (token, head) each
}

void VkForward::layerDecode(size_t li) {
    const ModelConfig& c = m_model.config;
    const Layer& L = m_layers[li];
    LayerPush lp{uint32_t(c.dim), uint32_t(c.nHeads * c.headDim), uint32_t(c.kvDim()), uint32_t(c.ffnDim), uint32_t(c.nHeads), uint32_t(c.nKvHeads),
                 uint32_t(c.headDim), uint32_t(m_pos), uint32_t(m_capacity), 1.0f / std::sqrt(float(c.headDim)), c.normEps,
                 c.rope == RopeLayout::NeoX ? 1u : 0u, L.qkvBias ? 1u : 0u, uint32_t(L.qkv[0].rowStride), uint32_t(L.wo.rowStride),
                 uint32_t(L.gateUp[0].rowStride), uint32_t(L.down.rowStride), 0, 0, 0};
    const Weight* mats[4] = {&L.qkv[0], &L.wo, &L.gateUp[0], &L.down};
    for (uint32_t m = 0; m < 4; ++m) { // layer_decode.comp's LAYER_<TYPE> codes, a byte per matrix
        const GgmlType t = mats[m]->type;
        lp.types |= layerTypeCode(t) << (8 * m);
    }
    auto scales = [&](const Weight& w) { return w.repacked ? w.rowScale.get() : m_dummy.get(); };
    const std::string name = std::string("layer_decode_") + kvCacheTypeName(m_options.kvType) + (m_kernels.float64 ? "" : "_nof64");
    const VkFormat u = VK_FORMAT_R32_UINT, f = VK_FORMAT_R32_SFLOAT, none = VK_FORMAT_UNDEFINED;
    // one workgroup of one subgroup (one SIMD vector on lavapipe): many rows per invocation, each input vector loaded once per invocation
    const uint32_t wg = std::clamp(m_ctx.info().subgroupSize, 8u, 64u);
    const VkFormat u4 = VK_FORMAT_R32G32B32A32_UINT; // the caches, read eight values a texel
    static const std::vector<VkFormat> bindings{u, u, u, u, f, f, f, f, none, none, none, none, none, u4, u4, f, f, f, f};
    m_batch.dispatch(pipeline(name, 19, sizeof lp, bindings, wg),
                     {L.qkv[0].data.get(), L.wo.data.get(), L.gateUp[0].data.get(), L.down.data.get(), L.attnNorm.get(), L.ffnNorm.get(),
                      L.qkvBias ? L.qkvBias.get() : m_dummy.get(), m_angles.get(), m_x.get(), m_layerScratch.get(), L.kCache.get(), L.vCache.get(),
                      m_scores.get(), L.kCache.get(), L.vCache.get(), scales(L.qkv[0]), scales(L.wo), scales(L.gateUp[0]), scales(L.down)},
                     &lp, sizeof lp, 1);
}

void VkForward::forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) {
    checkForwardInput(tokens, n, m_pos, m_capacity, m_model.config.vocabSize);
    try {
        record(tokens, n, allLogits);
        m_batch.submitAndWait();
    } catch (...) {
        m_batch.discard(); // nothing half-recorded survives into the next call
        throw;
    }
    const int first = allLogits ? 0 : n - 1;
    logits.resize(size_t(n - first) * size_t(m_model.config.vocabSize));
    m_logits->download(logits.data(), logits.size() * 4);
    m_pos += n;
}

void VkForward::record(const int* tokens, int n, bool allLogits) {
    const ModelConfig& c = m_model.config;
    ensureScratch(n);
    std::vector<uint32_t> ids(tokens, tokens + n);
    m_ids->upload(ids.data(), ids.size() * 4);
    std::vector<float> angles(size_t(n) * size_t(c.headDim)), cs(size_t(c.headDim / 2)), sn(size_t(c.headDim / 2));
    for (int t = 0; t < n; ++t) {
        m_rope.at(m_pos + t, cs.data(), sn.data());
        for (int i = 0; i < c.headDim / 2; ++i) {
            angles[size_t(t * c.headDim + 2 * i)] = cs[size_t(i)];
            angles[size_t(t * c.headDim + 2 * i + 1)] = sn[size_t(i)];
        }
    }
    m_angles->upload(angles.data(), angles.size() * 4);
    const uint32_t dim = uint32_t(c.dim), qDim = uint32_t(c.nHeads * c.headDim), kvDim = uint32_t(c.kvDim()), ffn = uint32_t(c.ffnDim);

    // token embeddings
    GetRowsPush gp{dim, uint32_t(n), uint32_t(m_embedding.rowStride), 0};
    m_batch.dispatch(pipeline("get_rows_" + lower(typeName(m_embedding.type)), 4, sizeof gp, getRowsBindings(), kSmallWorkgroup),
                     {m_embedding.data.get(), m_ids.get(), m_x.get(), m_embedding.rowScale ? m_embedding.rowScale.get() : m_dummy.get()}, &gp,
                     sizeof gp, groups(dim / 32 + (dim % 32 != 0), kSmallWorkgroup), uint32_t(n)); // 32 values an invocation
    if (c.embeddingScale != 1.0f) eltwise("scale", *m_x, *m_dummy, uint32_t(n) * dim, 1, c.embeddingScale); // Gemma 2: x sqrt(dim)

    const uint32_t qkvDim = qDim + 2 * kvDim;
    const bool fusedLayers = n == 1 && m_layerFused;
    for (size_t li = 0; li < m_layers.size(); ++li) {
        if (fusedLayers) { // one dispatch for the whole layer
            layerDecode(li);
            continue;
        }
        Layer& L = m_layers[li];
        // attention: q|k|v in one buffer, RoPE on the q and k heads together
        normedMatmuls(*L.attnNorm, L.qkv, *m_qkv, n, qkvDim);
        if (L.qkvBias) eltwise("bias", *m_qkv, *L.qkvBias, uint32_t(n) * qkvDim, qkvDim);
        const std::string kv = kvCacheTypeName(m_options.kvType), f64 = m_ctx.info().float64 ? "" : "_nof64";
        const bool plainCache = m_options.kvType == KvCacheType::F32 || m_options.kvType == KvCacheType::F16;
        // Phi-3 and Gemma 2 scale the query before Q·K (as llama.cpp); the others scale the scores
        const float scale = c.queryPreScale ? 1.0f : c.scoreScale();
        const float qScale = c.queryPreScale ? c.scoreScale() : 1.0f;
        const uint32_t window = uint32_t(c.windowAt(int(li)));
        // decode attention can hand wo its input as the Q8_0 blocks it reads (a head is whole blocks)
        const bool woBlocksFromAttention = n == 1 && plainCache && actBlocks(L.wo) == ActBlocks::Q8_0 && c.headDim % 32 == 0;
        if (n == 1 && plainCache) { // decode: RoPE, cache append and attention in one dispatch
            AttentionPush ap{uint32_t(c.nHeads), uint32_t(c.nKvHeads), uint32_t(c.headDim), 1u, uint32_t(m_pos), uint32_t(m_capacity),
                             scale, window, qkvDim, c.rope == RopeLayout::NeoX ? 1u : 0u, qScale, c.attnSoftcap, 0, 0, 0, 0};
            const VkFormat none = VK_FORMAT_UNDEFINED, u4 = VK_FORMAT_R32G32B32A32_UINT;
            static const std::vector<VkFormat> bindings{none, none, none, none, none, none, u4, u4, none, none}; // the caches read eight values a texel
            std::vector<const Buffer*> buffers{m_qkv.get(), L.kCache.get(), L.vCache.get(), m_scores.get(), m_att.get(), m_angles.get(), L.kCache.get(), L.vCache.get()};
            std::string name = "attention_decode_" + kv + f64;
            if (woBlocksFromAttention) {
                name += m_kernels.dot4 ? "_q8_bytes" : "_q8_pairs";
                buffers.insert(buffers.end(), {m_xq.get(), m_xm.get()});
            }
            m_batch.dispatch(pipeline(name, uint32_t(buffers.size()), sizeof ap, bindings, kSmallWorkgroup), buffers, &ap, sizeof ap,
                             groups(uint64_t(c.nHeads), kSmallWorkgroup));
        } else {
            rope(*m_qkv, c.nHeads + c.nKvHeads, n, qkvDim);
            KvStorePush kp{kvDim, uint32_t(n), uint32_t(m_pos), 0, qkvDim, qDim, 0, 0};
            const uint64_t storeInvocations = uint64_t(n) * ((kvDim + 31) / 32); // 32 values of a row each (kv_store.comp)
            m_batch.dispatch(pipeline("kv_store_" + kv, 5, sizeof kp, {}, kSmallWorkgroup),
                             {m_qkv.get(), L.kCache.get(), L.vCache.get(), L.kScales.get(), L.vScales.get()}, &kp, sizeof kp,
                             groups(storeInvocations, kSmallWorkgroup));
            const VkFormat none = VK_FORMAT_UNDEFINED, u4 = VK_FORMAT_R32G32B32A32_UINT, f = VK_FORMAT_R32_SFLOAT;
            static const std::vector<VkFormat> bindings{none, u4, u4, f, f, none, none}; // the caches eight values (or more) a texel
            for (int first = 0; first < n; first += kAttentionChunk) { // the scores buffer holds one chunk of queries
                const int chunk = std::min(kAttentionChunk, n - first);
                AttentionPush ap{uint32_t(c.nHeads), uint32_t(c.nKvHeads), uint32_t(c.headDim), uint32_t(chunk), uint32_t(m_pos), uint32_t(m_capacity),
                                 scale, window, qkvDim, 0, qScale, c.attnSoftcap, uint32_t(first), 0, 0, 0};
                // tiles of 4 queries (attention.comp QT); small workgroups: a chunk is only a few hundred (tile, head) invocations,
                // and the later tiles see more keys, so many small workgroups keep both lavapipe threads busy to the end
                m_batch.dispatch(pipeline("attention_" + kv + f64, 7, sizeof ap, bindings, kSmallWorkgroup),
                                 {m_qkv.get(), L.kCache.get(), L.vCache.get(), L.kScales.get(), L.vScales.get(), m_scores.get(), m_att.get()}, &ap,
                                 sizeof ap, groups(uint64_t((chunk + 3) / 4) * c.nHeads, kSmallWorkgroup));
            }
        }
        // output projection + residual (Gemma 2: into m_post, normed, then added)
        Buffer& blockOut = c.postNorms ? *m_post : *m_x;
        if (woBlocksFromAttention) matmulQ(L.wo, blockOut, n, dim, 0, !c.postNorms);
        else matmul(L.wo, *m_att, blockOut, n, dim, 0, !c.postNorms);
        if (c.postNorms) postNormAdd(*L.postAttnNorm, n);
        // gated feed-forward: gate|up in one buffer, then down + residual
        normedMatmuls(*L.ffnNorm, L.gateUp, *m_gateUp, n, 2 * ffn);
        if (c.ffnActivation == FfnActivation::GeluTanh) { // GeGLU through ggml's GELU table
            eltwise("geglu", *m_ffn, *m_gateUp, uint32_t(n) * ffn, ffn);
            matmul(L.down, *m_ffn, blockOut, n, dim, 0, !c.postNorms);
        } else if (L.down.repacked) { // silu(gate) * up straight into the Q8_0 / Q8_K blocks the down projection reads
            quantizeActs("swiglu", actBlocks(L.down), *m_gateUp, nullptr, ffn, n, 2 * ffn);
            matmulQ(L.down, blockOut, n, dim, 0, !c.postNorms);
        } else {
            eltwise("swiglu", *m_ffn, *m_gateUp, uint32_t(n) * ffn, ffn);
            matmul(L.down, *m_ffn, blockOut, n, dim, 0, !c.postNorms);
        }
        if (c.postNorms) postNormAdd(*L.postFfnNorm, n);
    }
    // logits for every token, or for the last one only
    const int first = allLogits ? 0 : n - 1;
    normedMatmuls(*m_outputNorm, std::span<const Weight>(&m_output, 1), *m_logits, n - first, uint32_t(c.vocabSize), uint32_t(first));
    if (c.finalSoftcap > 0) eltwise("softcap", *m_logits, *m_dummy, uint32_t(n - first) * uint32_t(c.vocabSize), 1, c.finalSoftcap);
}

} // namespace qb::vk
