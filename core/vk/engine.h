#pragma once
// The forward pass on Vulkan, with the same interface as the CPU reference
// (CpuForward). Weights are uploaded once in their stored (quantized) form,
// one buffer per tensor; every forward() records one command buffer (all
// layers, no CPU round trip) and only the logits come back.
#include "model/forward_cpu.h"
#include "model/model.h"
#include "model/rope.h"
#include "run/job.h"
#include "vk/buffer.h"
#include "vk/command_batch.h"
#include "vk/context.h"
#include "vk/kernel_variants.h"
#include "vk/pipeline.h"

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <vector>

namespace qb::vk {

struct VkForwardOptions {
    KvCacheType kvType = KvCacheType::F16;
    int contextLength = 0; // 0 = the model's trained length, at most CpuForwardOptions::kDefaultContext
    Job* job = nullptr;    // upload progress (stage "upload", unit "layers") and cancel
};

class VkForward : public ForwardPass {
public:
    VkForward(const Model& model, Context& ctx, VkForwardOptions options = {});
    ~VkForward();

    void forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) override;
    void reset() override { m_pos = 0; }
    void rollback(int position) override { m_pos = std::clamp(position, 0, m_pos); }
    int position() const override { return m_pos; }
    int capacity() const override { return m_capacity; }
    MemoryUse memoryUse() const override; // device memory of this model's buffers
    uint64_t kvCacheBytes() const;
    // Device memory this model would take at `contextLength`, computed before
    // loading from the same sizes the engine allocates (batchTokens: the
    // largest prompt run at once).
    static MemoryUse estimate(const Model& model, int contextLength, KvCacheType kvType, int batchTokens); // device memory of all layers' K and V caches (with scales)
    // The kernel paths chosen from the device's features, for logs and reports.
    std::string kernelPaths() const;
    // Whether this device runs the kernels bit-identical with the CPU reference (KernelVariants::bitIdenticalWithCpu).
    bool bitIdenticalWithCpu() const { return m_kernels.bitIdenticalWithCpu(m_ctx.info()); }
    // Device time per kernel when QUANTBENCH_VK_PROFILE=1, else empty.
    std::string profileReport() const { return m_batch.profileReport(); }
    // Test hook: the next forward() fails after this many dispatches are recorded.
    void injectRecordingFailure(int afterDispatches) { m_batch.failAfter(afterDispatches); }

private:
    // One matrix on the device, possibly several tensors of one type stacked
    // by rows (q|k|v, gate|up) so one dispatch computes them all.
    struct Weight {
        std::string name;
        GgmlType type = GgmlType::F32;
        int64_t rows = 0, cols = 0;
        size_t rowStride = 0;
        bool repacked = false; // the 32-value block types and K-quants, for the integer-dot kernels (vk/repack.h; rowScale holds the block scales)
        std::unique_ptr<Buffer> data, rowScale, inputScale;
    };
    struct Layer {
        std::vector<Weight> qkv;     // one stacked weight, or q, k, v apart when their types differ
        std::vector<Weight> gateUp;  // likewise gate|up
        Weight wo, down;
        std::unique_ptr<Buffer> attnNorm, ffnNorm, qkvBias, kCache, vCache, kScales, vScales;
        std::unique_ptr<Buffer> postAttnNorm, postFfnNorm; // Gemma 2
    };

    void record(const int* tokens, int n, bool allLogits); // one forward's commands into m_batch
    Weight uploadWeight(const Tensor& t, bool allowRepack = true);
    void uploadData(Weight& w, const std::vector<const Tensor*>& parts);
    std::vector<Weight> uploadStacked(const std::vector<const Tensor*>& parts);
    std::unique_ptr<Buffer> uploadFloats(const Tensor& t, const std::string& name);
    Pipeline& pipeline(const std::string& name, uint32_t bindings, uint32_t pushBytes, const std::vector<VkFormat>& texelFormats = {},
                       uint32_t workgroup = 64);
    void ensureScratch(int n);
    void matmul(const Weight& w, const Buffer& in, Buffer& out, int n, uint32_t yStride, uint32_t yOffset, bool accumulate);
    void matmulStacked(std::span<const Weight> ws, const Buffer& in, Buffer& out, int n, uint32_t yStride);
    // Integer-dot paths: activations quantized to Q8_0 blocks (Q4_0, Q8_0) or
    // Q8_K super-blocks (K-quants) in m_xq / m_xm (pre = "none", "norm" with
    // `gain`, or "swiglu" from gate|up rows), then matmulQ against them.
    enum class ActBlocks { None, Q8_0, Q8_K };
    static ActBlocks actBlocks(const Weight& w); // what w's integer dot reads (None: the float path)
    void quantizeActs(const char* pre, ActBlocks blocks, const Buffer& in, const Buffer* gain, uint32_t cols, int n, uint32_t inStride,
                      uint32_t firstToken = 0);
    void matmulQ(const Weight& w, Buffer& out, int n, uint32_t yStride, uint32_t yOffset, bool accumulate);
    // RMSNorm of the residual stream's rows firstToken.. (n of them), then the
    // stacked weights: one fused norm+quantize dispatch when all are integer-dot.
    void normedMatmuls(const Buffer& gain, std::span<const Weight> ws, Buffer& out, int n, uint32_t yStride, uint32_t firstToken = 0);
    void rmsNorm(const Buffer& in, const Buffer& gain, Buffer& out, int n, uint32_t firstToken = 0);
    void eltwise(const char* op, Buffer& a, const Buffer& b, uint32_t count, uint32_t period = 1, float factor = 0.0f);
    void postNormAdd(const Buffer& gain, int n); // Gemma 2: x += rmsnorm(the block's output in m_post)
    void rope(Buffer& data, int heads, int n, uint32_t rowStride);
    bool layerFusable() const; // decode may run layer_decode.comp (one dispatch a layer)
    void layerDecode(size_t layer);

    const Model& m_model;
    Context& m_ctx;
    VkForwardOptions m_options;
    KernelVariants m_kernels;
    bool m_layerFused = false;
    int m_capacity = 0;
    RopeAngles m_rope{m_model.config, 0}; // set for m_capacity in the constructor
    int m_pos = 0;
    int m_scratchTokens = 0;
    CommandBatch m_batch;
    std::map<std::string, std::unique_ptr<Pipeline>> m_pipelines;
    Weight m_embedding, m_output;
    std::unique_ptr<Buffer> m_outputNorm, m_dummy;
    std::unique_ptr<Buffer> m_geluTable; // ggml's GELU table (GeGLU models), 65536 floats
    std::vector<Layer> m_layers;
    std::unique_ptr<Buffer> m_angles; // RoPE cos/sin per token and pair, filled by the host
    std::unique_ptr<Buffer> m_ids, m_x, m_xb, m_xr, m_qkv, m_att, m_gateUp, m_ffn, m_scores, m_logits, m_xq, m_xm, m_layerScratch;
    std::unique_ptr<Buffer> m_post; // a block's output before its post-norm (Gemma 2)
};

// "vulkan" or "vulkan:N" -> device selector ("" or "N"); std::nullopt when `device` is not a Vulkan device name.
std::optional<std::string> vulkanSelector(const std::string& device);

} // namespace qb::vk
