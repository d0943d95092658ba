#pragma once
// Hyper-parameters of a Llama-family, Qwen2, Phi-3 or Gemma 2 transformer, whatever file they came from.
#include <string>
#include <vector>

namespace qb {

enum class Architecture { Llama, Qwen2, Phi3, Gemma2 };
enum class FfnActivation {
    SiLU,     // SwiGLU: silu(gate) * up (Llama, Qwen2, Phi-3)
    GeluTanh, // GeGLU: gelu_tanh(gate) * up (Gemma 2), through ggml's F16 table
};
enum class RopeLayout {
    Normal, // rotate pairs (2i, 2i+1): GGUF llama, llama2.c
    NeoX,   // rotate pairs (i, i + d/2): HF layout, GGUF qwen2
};

struct ModelConfig {
    Architecture arch = Architecture::Llama;
    std::string archName = "llama"; // as GGUF's general.architecture spells it
    std::string name;
    int dim = 0;          // embedding width
    int nLayers = 0;
    int nHeads = 0;
    int nKvHeads = 0;     // < nHeads: grouped-query attention
    int headDim = 0;      // dim / nHeads, or the file's attention.key_length (Gemma 2: heads * headDim may differ from dim)
    int ffnDim = 0;       // gated FFN hidden width
    FfnActivation ffnActivation = FfnActivation::SiLU;
    int vocabSize = 0;
    int contextLength = 0;
    float normEps = 1e-5f;
    float ropeFreqBase = 10000.0f;
    int ropeDim = 0;      // rotated dims per head (= headDim)
    RopeLayout rope = RopeLayout::Normal;
    // RoPE scaling, as llama.cpp applies it (core/model/rope.h): angle_i = freqScale * (pos * base^(-2i/d) / divisor_i),
    // YaRN blending that with the unscaled angle per pair; cos and sin are multiplied by the attention factor.
    float ropeFreqScale = 1.0f;        // linear or YaRN scaling: 1 / rope.scaling.factor
    std::vector<float> ropeFreqFactors; // Llama 3.1+ (GGUF rope_freqs.weight, HF rope_scaling llama3): one divisor per pair; empty = none
    bool ropeYarn = false;              // rope.scaling.type yarn (HF rope_scaling yarn)
    int ropeOrigContext = 0;            // rope.scaling.original_context_length: YaRN's correction dims, LongRoPE's long/short choice; 0 = contextLength
    float ropeAttnFactor = 1.0f;        // rope.scaling.attn_factor: cos and sin multiplied by it (Phi-3 LongRoPE)
    // Phi-3 LongRoPE (GGUF rope_factors_long/short.weight, HF rope_scaling longrope): divisors per pair,
    // the long ones for a run whose context exceeds the original one; empty = none
    std::vector<float> ropeFactorsLong, ropeFactorsShort;
    bool queryPreScale = false; // Phi-3, Gemma 2 (llama.cpp): the query is scaled before Q·K, not the scores after
    float attentionScale = 0.0f; // the Q·K scale; 0 = 1/sqrt(head dim) (Gemma 2 27B: 1/sqrt(dim / heads), as llama.cpp)
    int slidingWindow = 0;  // Phi-3: attention sees at most this many positions (not applied, as in llama.cpp: longer contexts are refused); 0 = all
    // Gemma 2
    float embeddingScale = 1.0f;   // token embeddings multiplied by this (sqrt(dim))
    float attnSoftcap = 0.0f;      // attention scores s -> cap * tanh(s / cap); 0 = none
    float finalSoftcap = 0.0f;     // logits likewise
    int localWindow = 0;           // even layers attend to the last localWindow positions only (llama.cpp's SWA pattern 2); 0 = none
    bool postNorms = false;        // RMSNorm of the attention and FFN outputs before each residual add
    bool synthetic = false;

    int kvDim() const { return nKvHeads * headDim; }
    int qDim() const { return nHeads * headDim; }
    float scoreScale() const; // attentionScale, or 1/sqrt(head dim)
    // positions a query of this layer sees, counting itself; 0 = all of them
    int windowAt(int layer) const { return localWindow > 0 && layer % 2 == 0 ? localWindow : 0; }
    int ropeOriginalContext() const { return ropeOrigContext > 0 ? ropeOrigContext : contextLength; }
};

// What makes a model Gemma 2 whatever file it came from (embeddings x sqrt(dim), GeGLU,
// post-norms, the query scaled first); its caps, window and query scale are read per format.
void setGemma2Structure(ModelConfig& config);
// The head dimension when a file does not give it: dim / heads, or 0 when that is not whole.
inline int derivedHeadDim(int dim, int heads) { return heads > 0 && dim % heads == 0 ? dim / heads : 0; }
Architecture architectureFromName(const std::string& name, const std::string& source);
// For people: "none", "linear, factor 4", "Llama 3 frequency factors 1, 7.667, 8, 8",
// "YaRN, factor 4, original context 32768", "LongRoPE, original context 4096, attention factor 1.19".
std::string ropeScalingText(const ModelConfig& config);

} // namespace qb
