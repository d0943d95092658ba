#pragma once
// HF transformers tensor names <-> GGUF names, and the Q/K row permutation
// llama.cpp applies when converting HF Llama weights: HF stores each head's
// rotary pairs as (i, i + d/2) halves; GGUF llama interleaves them (2i, 2i+1).
#include "model/config.h"

#include <cstdint>
#include <string>

namespace qb {

// "" when `hfName` is not a weight we map. Phi-3's fused qkv_proj and
// gate_up_proj map to attn_qkv and ffn_up (its ffn_up is the gate|up pair);
// Gemma 2's four norms per layer have their own names (its
// post_attention_layernorm is the post-attention norm, not the FFN's).
std::string ggufNameFromHf(const std::string& hfName, Architecture arch = Architecture::Llama);
std::string hfNameFromGguf(const std::string& ggufName, Architecture arch = Architecture::Llama);

// Row index in GGUF (interleaved) layout of HF row `hfRow`, for a Q or K
// matrix with heads of `headDim` rows.
inline int64_t interleavedRow(int64_t hfRow, int64_t headDim) {
    const int64_t head = hfRow / headDim, r = hfRow % headDim, half = headDim / 2;
    return head * headDim + (r % half) * 2 + r / half;
}

} // namespace qb
