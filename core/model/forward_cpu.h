#pragma once
// The CPU reference forward pass: F32 math over dequantized weights, written
// to read like the paper. It is the oracle every Vulkan kernel is tested
// against, so clarity wins over speed; it is multithreaded over rows and heads.
#include "common/thread_pool.h"
#include "model/forward.h"
#include "model/model.h"
#include "model/rope.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qb {

// How the KV cache stores keys and values. F16 also rounds the query and the
// attention probabilities to F16, as llama.cpp's F16 cache does; Q8_0 stores
// 32-value blocks with an F16 scale (llama.cpp's quantizer); FP8 stores E4M3
// values with one F32 scale (max|x| / 448) per 32-value block.
enum class KvCacheType { F32, F16, Q8_0, FP8 };
std::optional<KvCacheType> kvCacheTypeFromName(const std::string& name); // f32 f16 q8_0 fp8
const char* kvCacheTypeName(KvCacheType t);
// Rounds one cache row (n values, a multiple of 32 for the block types) in place
// to what the cache keeps.
void roundKvRow(KvCacheType t, float* row, int n);

struct CpuForwardOptions {
    // llama.cpp keeps its KV cache in F16 by default; F16 here rounds what
    // is stored the same way, so perplexities compare like for like.
    KvCacheType kvType = KvCacheType::F16;
    int contextLength = 0; // 0 = the model's trained length, at most kDefaultContext
    static constexpr int kDefaultContext = 4096;
};

class CpuForward : public ForwardPass {
public:
    CpuForward(const Model& model, ThreadPool& pool, CpuForwardOptions options = {});

    // Runs `n` tokens at positions position() .. position()+n-1, appending
    // them to the KV cache. Writes n x vocab logits (or only the last row when
    // !allLogits) into `logits`. Throws qb::Error "context full" past capacity.
    void forward(const int* tokens, int n, std::vector<float>& logits, bool allLogits) override;

    // Calibration hook: sees the input rows of every weight matmul (before the
    // activation rounding), n rows of w.cols() values each.
    using Observer = std::function<void(const Tensor& w, const float* x, int n)>;
    void setObserver(Observer observer) { m_observer = std::move(observer); }

    // Layer by layer (calibration): the token embeddings of n tokens (n x dim
    // values), and layers [firstLayer, lastLayer) run over n hidden-state rows
    // in place at positions position()..position()+n-1, writing those layers'
    // KV cache; position() does not move. forward() is embed, every layer,
    // then the output norm and classifier.
    void embed(const int* tokens, int n, float* x) const;
    void forwardLayers(float* x, int n, int firstLayer, int lastLayer);

    void reset() override { m_pos = 0; }
    void rollback(int position) override { m_pos = std::clamp(position, 0, m_pos); }
    int position() const override { return m_pos; }
    int capacity() const override { return m_capacity; }
    MemoryUse memoryUse() const override;
    // What memoryUse() will be at `contextLength`, before constructing one.
    static MemoryUse estimate(const Model& model, int contextLength);
    const ModelConfig& config() const { return m_model.config; }

private:
    void matmul(const Tensor& w, const float* x, int n, float* y) const; // y[n][rows] = x[n][cols] · Wᵀ
    void attention(int layer, const float* q, int n, float* out) const;
    void postNorm(std::vector<float>& rows, const std::vector<float>& gain, int n) const; // Gemma 2: RMSNorm of a block output, in place

    const Model& m_model;
    ThreadPool& m_pool;
    CpuForwardOptions m_options;
    int m_capacity = 0;
    RopeAngles m_rope{m_model.config, 0};
    int m_pos = 0;
    std::vector<float> m_keyCache;   // [layer][position][kvDim]
    std::vector<float> m_valueCache; // [layer][position][kvDim]
    // Norm gains and Qwen2 biases as F32, dequantized once (they may be stored F16).
    struct LayerVectors {
        std::vector<float> attnNorm, ffnNorm, bq, bk, bv, postAttnNorm, postFfnNorm;
    };
    std::vector<LayerVectors> m_vectors;
    std::vector<float> m_outputNorm;
    Observer m_observer;
};

// Greedy and sampled next-token choice (see sampler.h); shared math helpers:
void rmsNorm(const float* x, const float* weight, int n, float eps, float* out); // out may be x
void softmax(float* x, int n);

} // namespace qb
