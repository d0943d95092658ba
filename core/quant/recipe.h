#pragma once
// Which type each tensor gets: llama-quantize's per-tensor recipes (the "mixes"
// Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, and plain types), its --pure mode, and its
// fallbacks when a row is not a multiple of the block size. Unlike stock
// llama.cpp we never refuse: a 32-block type that cannot fit falls back to F16.
#include "quant/ggml_type.h"

#include <optional>
#include <string>
#include <vector>

namespace qb {

// llama.cpp's llama_ftype values, written as general.file_type.
// serialized: never renumber.
enum class FileType : uint32_t {
    AllF32 = 0, MostlyF16 = 1, MostlyQ4_0 = 2, MostlyQ4_1 = 3, MostlyQ8_0 = 7, MostlyQ5_0 = 8, MostlyQ5_1 = 9,
    MostlyQ2_K = 10, MostlyQ3_K_S = 11, MostlyQ3_K_M = 12, MostlyQ3_K_L = 13, MostlyQ4_K_S = 14, MostlyQ4_K_M = 15,
    MostlyQ5_K_S = 16, MostlyQ5_K_M = 17, MostlyQ6_K = 18, MostlyBF16 = 32,
    // QuantBench extensions (llama.cpp cannot load these files):
    QbInt8Channel = 1024, QbFp8Channel = 1025,
};

struct Recipe {
    std::string name;     // as the user wrote it, upper-cased: "Q4_K_M", "Q8_0"
    FileType fileType;
    GgmlType baseType;    // the type most tensors get
};

// "Q4_K_M", "q8_0", "Q4_K" (= Q4_K_M as llama-quantize reads it), "F16", ...
std::optional<Recipe> recipeFromName(const std::string& name);
std::vector<std::string> recipeNames();

struct TensorPlanInput {
    std::string name;
    std::vector<int64_t> shape;
    GgmlType sourceType;
};

struct RecipeContext {
    int nLayers = 0;
    int nHeads = 0, nKvHeads = 0;
    bool hasOutputTensor = true; // false: token_embd doubles as the output (tied)
    bool hasImatrix = false;
    bool pure = false;
};

// Target type for every tensor, in order (stateful across tensors like
// llama.cpp: the i-th attn_v / ffn_down decide "use more bits").
// `wanted`, when given, receives each tensor's type before the row-length
// fallback (differs from the result where the fallback applied).
std::vector<GgmlType> planTensorTypes(const std::vector<TensorPlanInput>& tensors, const Recipe& recipe, const RecipeContext& ctx,
                                      std::vector<GgmlType>* wanted = nullptr);

bool tensorIsQuantizable(const std::string& name, const std::vector<int64_t>& shape);

} // namespace qb
