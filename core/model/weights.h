#pragma once
// Views of a model's weight tensors. Data stays where the loader put it (a
// memory map, or a buffer the Model owns); nothing here copies it.
#include "quant/ggml_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qb {

struct Tensor {
    std::string name;           // GGUF name: "blk.0.attn_q.weight"
    GgmlType type = GgmlType::F32;
    std::vector<int64_t> shape; // ggml order: shape[0] = columns (row length)
    const uint8_t* data = nullptr;
    uint64_t bytes = 0;
    const float* rowScale = nullptr;   // per-channel types: "<name>_scale", one F32 per row
    const float* inputScale = nullptr; // W8A8 static: "<name>_input_scale", one F32 for the layer input

    bool present() const { return data != nullptr; }
    int64_t cols() const { return shape.empty() ? 0 : shape[0]; }
    int64_t rows() const { int64_t r = 1; for (size_t i = 1; i < shape.size(); ++i) r *= shape[i]; return r; }
    int64_t elements() const { return cols() * rows(); }
    size_t rowStride() const { return rowBytes(type, cols()); }
    const uint8_t* row(int64_t r) const { return data + size_t(r) * rowStride(); }
    // Row r as F32, per-channel scale applied.
    void dequantizeRowTo(int64_t r, float* out) const {
        dequantizeRow(type, row(r), out, cols());
        if (rowScale)
            for (int64_t c = 0; c < cols(); ++c) out[c] *= rowScale[r];
    }
};

// All of a tensor's values as F32 (rows x cols, row-major).
std::vector<float> dequantizeTensor(const Tensor& t);

struct LayerWeights {
    Tensor attnNorm; // (dim) F32
    Tensor wq;       // (dim -> nHeads*headDim)
    Tensor wk;       // (dim -> kvDim)
    Tensor wv;       // (dim -> kvDim)
    Tensor wo;       // (nHeads*headDim -> dim)
    Tensor bq, bk, bv; // Qwen2 only: (nHeads*headDim), (kvDim), (kvDim)
    Tensor ffnNorm;  // (dim) F32
    Tensor wGate;    // (dim -> ffnDim)   "w1"
    Tensor wDown;    // (ffnDim -> dim)   "w2"
    Tensor wUp;      // (dim -> ffnDim)   "w3"
    Tensor postAttnNorm, postFfnNorm; // Gemma 2: (dim) F32, RMSNorm of each block's output
};

struct ModelWeights {
    Tensor tokenEmbedding; // (dim, vocab): row t is token t's embedding
    Tensor outputNorm;     // (dim) F32
    Tensor output;         // (dim -> vocab); same data as tokenEmbedding when tied
    std::vector<LayerWeights> layers;
};

} // namespace qb
