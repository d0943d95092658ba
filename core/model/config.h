#pragma once
// Hyper-parameters of a Llama-family or Qwen2 transformer, whatever file they came from.
#include <string>

namespace qb {

enum class Architecture { Llama, Qwen2 };
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
    bool synthetic = false;

    int kvDim() const { return nKvHeads * headDim; }
};

Architecture architectureFromName(const std::string& name, const std::string& source);

} // namespace qb
