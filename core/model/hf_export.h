#pragma once
// Writes a loaded model as an HF model directory: config.json, tokenizer.json,
// tokenizer_config.json, safetensors shards + index. Undoes llama.cpp's Q/K
// row permutation. F32/F16/BF16 tensors keep their dtype; QuantBench's FP8 and
// INT8 per-channel tensors are written the compressed-tensors way (weight in
// F8_E4M3 / I8 plus weight_scale [out, 1] F32), so vLLM-style tools read them.
// Other GGUF block types have no safetensors form and are refused.
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <string>

namespace qb {

// progress(bytesDone, bytesTotal) as tensors are written; false cancels
// (qb::Error Cancelled; the shard being written is removed, the caller removes `dir`).
void exportHfDirectory(const qb::Model& model, const std::string& dir, int shards = 2,
                       const std::function<bool(uint64_t done, uint64_t total)>& progress = {});
// Only tokenizer.json + tokenizer_config.json.
void exportHfTokenizer(const qb::Vocab& vocab, const std::string& dir);

} // namespace qb
