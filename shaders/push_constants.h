// Push-constant blocks, defined once for GLSL and C++ (scalars only, so the
// std430 push-constant layout equals the C++ layout; sizes are checked).
#ifndef QB_PUSH_CONSTANTS_H
#define QB_PUSH_CONSTANTS_H

#ifdef __cplusplus
#include <cstdint>
namespace qb::vk {
using uint = uint32_t;
#endif

struct MatmulPush {     // y[t*yStride + yOffset + r] (+)= sum_c W[r][c] * x[t][c]
    uint rows;
    uint cols;
    uint tokens;
    uint rowBytes;      // bytes of one weight row
    uint yStride;       // floats per token row of y
    uint yOffset;       // where this weight's rows start in a y row
    uint accumulate;    // 1: add to y (fused residual), 0: overwrite
    uint pad0;
};

struct RoundPush {      // activation rounding for a weight type
    uint cols;          // values per token row
    uint tokens;
    uint pad0;
    uint pad1;
};

struct ActQuantPush {   // activations quantized to Q8_0 blocks for the integer-dot matmuls
    uint cols;          // values per token row of the result
    uint tokens;
    float eps;          // RMSNorm epsilon (norm variants)
    uint inStride;      // floats per token row of the input (2 * cols for swiglu's gate|up rows)
    uint firstToken;    // input row of the first token (the last token alone, for logits)
    uint pad0;
    uint pad1;
    uint pad2;
};

struct LayerPush {      // layer_decode: one whole transformer layer for one token
    uint dim;
    uint qDim;          // heads * headDim
    uint kvDim;
    uint ffn;
    uint heads;
    uint kvHeads;
    uint headDim;
    uint pos;
    uint capacity;
    float scale;        // 1 / sqrt(headDim)
    float eps;
    uint neox;
    uint hasBias;       // Qwen2 q|k|v biases
    uint qkvRowBytes;
    uint woRowBytes;
    uint gateUpRowBytes;
    uint downRowBytes;
    uint types;         // a byte per matrix (q|k|v, wo, gate|up, down): 0 F32, 1 F16, 2 BF16, 3 Q4_0, 4 Q8_0
    uint pad1;
    uint pad2;
};

struct NormPush {       // RMSNorm of each token row
    uint dim;
    uint tokens;
    float eps;
    uint firstToken;    // input row of the first token (the last token alone, for logits)
};

struct RopePush {       // rotary embedding on rows of `heads` heads, angles from a table
    uint heads;
    uint headDim;
    uint tokens;
    uint rowStride;     // floats per token row
    uint neox;          // 0: pairs (2i, 2i+1); 1: pairs (i, i + d/2)
    uint offset;        // floats before the first head in each token row
    uint pad1;
    uint pad2;
};

struct KvStorePush {    // append tokens' K and V (from the fused qkv rows) to a layer's caches
    uint kvDim;
    uint tokens;
    uint pos0;
    uint pad2;          // (the shader variant decides the cache format)
    uint rowStride;     // floats per qkv token row
    uint kOffset;       // K's offset in a row (V follows at kOffset + kvDim)
    uint pad0;
    uint pad1;
};

struct AttentionPush {  // causal GQA attention for `tokens` queries at pos0 + firstToken.. over the cache
    uint heads;
    uint kvHeads;
    uint headDim;
    uint tokens;
    uint pos0;
    uint capacity;
    float scale;
    uint window;        // positions a query sees, itself included (Gemma 2's local layers); 0 = all
    uint qStride;       // floats per token row of the query buffer
    uint pad0;          // attention_decode: 1 = NeoX RoPE pairs
    float qScale;       // the query's scale before Q·K (Phi-3, Gemma 2; with scale 1); 1 otherwise
    float softcap;      // scores s -> softcap * tanh(s / softcap) (Gemma 2); 0 = none
    uint firstToken;    // attention (prefill): the chunk's first query row in the q and output buffers
    uint pad1;
    uint pad2;
    uint pad3;
};

struct EltwisePush {    // element-wise ops over n values (bias: period = row length; swiglu, geglu: ffn width)
    uint n;
    uint period;
    float factor;       // scale: the factor; softcap: the cap
    uint pad1;
};

struct GetRowsPush {    // embedding rows for token ids
    uint cols;
    uint tokens;
    uint rowBytes;
    uint pad0;
};

#ifdef __cplusplus
static_assert(sizeof(MatmulPush) == 32 && sizeof(RoundPush) == 16 && sizeof(LayerPush) == 80 && sizeof(ActQuantPush) == 32 && sizeof(NormPush) == 16 && sizeof(RopePush) == 32 &&
              sizeof(KvStorePush) == 32 && sizeof(AttentionPush) == 64 && sizeof(EltwisePush) == 16 && sizeof(GetRowsPush) == 16,
              "push-constant structs must keep their std430 sizes");
} // namespace qb::vk
#endif

#endif
