#pragma once
// Writes a loaded model as an HF model directory: config.json, tokenizer.json,
// tokenizer_config.json, safetensors shards + index. Undoes llama.cpp's Q/K
// row permutation. F32/F16/BF16 tensors keep their dtype; QuantBench's FP8 and
// INT8 per-channel tensors are written the compressed-tensors way (weight in
// F8_E4M3 / I8 plus weight_scale [out, 1] F32), so vLLM-style tools read them.
// Other GGUF block types have no safetensors form and are refused.
#include "model/model.h"

#include <string>

namespace qb {

void exportHfDirectory(const qb::Model& model, const std::string& dir, int shards = 2);
// Only tokenizer.json + tokenizer_config.json.
void exportHfTokenizer(const qb::Vocab& vocab, const std::string& dir);

} // namespace qb
