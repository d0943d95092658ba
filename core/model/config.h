#pragma once
// Hyper-parameters of a Llama-family, Qwen2 or Phi-3 transformer, whatever file they came from.
#include <string>
#include <vector>

namespace qb {

enum class Architecture { Llama, Qwen2, Phi3 };
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
    int headDim = 0;      // dim / nHeads
    int ffnDim = 0;       // SwiGLU hidden width
    int vocabSize = 0;
    int contextLength = 0;
    float normEps = 1e-5f;
    float ropeFreqBase = 10000.0f;
    int ropeDim = 0;      // rotated dims per head (= headDim)
    RopeLayout rope = RopeLayout::Normal;
    // RoPE scaling, as llama.cpp applies it: angle_i = freqScale * (pos * base^(-2i/d) / freqFactors[i])
    float ropeFreqScale = 1.0f;        // linear scaling: 1 / rope.scaling.factor
    std::vector<float> ropeFreqFactors; // Llama 3.1+ (GGUF rope_freqs.weight, HF rope_scaling llama3): one divisor per pair; empty = none
    bool queryPreScale = false; // Phi-3 (llama.cpp): the query is scaled by 1/sqrt(head dim) before Q·K, not the scores after
    int slidingWindow = 0;  // Phi-3: attention sees at most this many positions; 0 = all
    bool synthetic = false;

    int kvDim() const { return nKvHeads * headDim; }
};

Architecture architectureFromName(const std::string& name, const std::string& source);
// For people: "none", "linear, factor 4", "Llama 3 frequency factors 1, 7.667, 8, 8".
std::string ropeScalingText(const ModelConfig& config);

} // namespace qb
