#pragma once
// Synthetic models for speed work: random weights at real Llama / Qwen2
// shapes, written as GGUF that llama.cpp loads, marked general.synthetic so
// every number measured on them is labelled "synthetic weights" and
// perplexity is refused.
#include "model/vocab.h"
#include "quant/ggml_type.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace qb {

struct SynthSpec {
    std::string arch = "llama"; // llama | qwen2
    int dim = 768, layers = 12, heads = 12, kvHeads = 12, ffn = 2048, context = 2048;
    GgmlType type = GgmlType::F16;
    uint64_t seed = 1;
    std::string name;
};

// Presets: llama-110m, tinyllama-1.1b, llama-7b.
std::optional<SynthSpec> synthPreset(const std::string& name);

// Writes OUT (temporary file renamed into place). The vocabulary is copied
// from `vocabSource` (its tokens decide the vocabulary size).
void writeSyntheticModel(const SynthSpec& spec, const std::shared_ptr<const Vocab>& vocab, const std::string& path,
                         const std::function<bool(int done, int total)>& progress = {});

} // namespace qb
