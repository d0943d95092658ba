#pragma once
// Writes a loaded GGUF model as an HF model directory (config.json,
// tokenizer.json, tokenizer_config.json, safetensors shards + index), undoing
// llama.cpp's Q/K permutation, so tests can prove both loaders agree.
#include "model/model.h"

#include <string>

namespace qbtest {

void exportHfDirectory(const qb::Model& model, const std::string& dir, int shards = 2);
// Only tokenizer.json + tokenizer_config.json.
void exportHfTokenizer(const qb::Vocab& vocab, const std::string& dir);

} // namespace qbtest
