#pragma once
// A loaded model: config, weight views, vocabulary, and the storage that
// keeps the weight bytes alive. Loaded from GGUF, an HF safetensors
// directory, or a llama2.c checkpoint (+ tokenizer file).
#include "formats/gguf_value.h"
#include "model/config.h"
#include "model/vocab.h"
#include "model/weights.h"

#include <memory>
#include <string>
#include <vector>

namespace qb {

struct Model {
    std::string path;
    std::string format; // "gguf", "safetensors", "llama2c"
    uint64_t fileBytes = 0;
    ModelConfig config;
    ModelWeights weights;
    std::shared_ptr<const Vocab> vocab;         // null for a tokenizer-less llama2.c checkpoint
    std::vector<Tensor> tensors;                // every tensor, in file order (for info)
    std::vector<std::shared_ptr<const void>> storage; // maps and owned buffers
    // GGUF sources: their metadata, in file order (copied into quantized files).
    std::vector<std::pair<std::string, GgufValue>> sourceMetadata;

    int64_t parameterCount() const;
    uint64_t weightBytes() const;
};

struct LoadOptions {
    std::string tokenizerPath; // llama2.c: its tokenizer .bin
    bool vocabOnly = false;    // GGUF: only the vocabulary (tokenizer-only files)
};

// Detects the format from the path (directory = safetensors, "GGUF" magic,
// else llama2.c) and loads it. Throws qb::Error naming the file and field.
std::unique_ptr<Model> loadModel(const std::string& path, const LoadOptions& options = {});

// Checks every weight's presence, type and shape against the config.
void validateWeights(const Model& model);
// The hyper-parameters alone (positive sizes, heads dividing the width, head
// dimension even and at most 256): checked before anything computes with them.
void validateConfig(const Model& model);

} // namespace qb
