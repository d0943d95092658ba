#pragma once
// One loader per source format; loadModel() picks one. Each fills a Model
// whose tensors use GGUF names and GGUF's (interleaved-RoPE for llama) layout.
#include "common/mapped_file.h"
#include "model/model.h"

namespace qb {

class GgufFile;

std::unique_ptr<Model> loadGgufModel(const std::string& path, const LoadOptions& options);
std::unique_ptr<Model> loadGgufModel(std::shared_ptr<GgufFile> gguf, const LoadOptions& options); // already parsed
std::unique_ptr<Model> loadSafetensorsModel(const std::string& dir, const LoadOptions& options);
std::unique_ptr<Model> loadLlama2cModel(const std::string& path, const LoadOptions& options);
std::unique_ptr<Model> loadLlama2cModel(std::shared_ptr<MappedFile> file, const LoadOptions& options); // already open

// The vocabulary stored in GGUF metadata (tokenizer.ggml.*).
std::shared_ptr<Vocab> vocabFromGguf(const GgufFile& gguf);

// Assigns the GGUF-named tensors of `model.tensors` to `model.weights`
// (layers by "blk.N." prefix) and validates them against the config.
void bindWeights(Model& model);

} // namespace qb
