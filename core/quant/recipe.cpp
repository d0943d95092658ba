#include "quant/recipe.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>

namespace qb {

namespace {

const Recipe kRecipes[] = {
    {"F32", FileType::AllF32, GgmlType::F32},        {"F16", FileType::MostlyF16, GgmlType::F16},
    {"BF16", FileType::MostlyBF16, GgmlType::BF16},  {"Q8_0", FileType::MostlyQ8_0, GgmlType::Q8_0},
    {"Q4_0", FileType::MostlyQ4_0, GgmlType::Q4_0},  {"Q4_1", FileType::MostlyQ4_1, GgmlType::Q4_1},
    {"Q5_0", FileType::MostlyQ5_0, GgmlType::Q5_0},  {"Q5_1", FileType::MostlyQ5_1, GgmlType::Q5_1},
    {"Q2_K", FileType::MostlyQ2_K, GgmlType::Q2_K},  {"Q3_K_M", FileType::MostlyQ3_K_M, GgmlType::Q3_K},
    {"Q4_K_M", FileType::MostlyQ4_K_M, GgmlType::Q4_K}, {"Q5_K_M", FileType::MostlyQ5_K_M, GgmlType::Q5_K},
    {"Q6_K", FileType::MostlyQ6_K, GgmlType::Q6_K},
    {"INT8", FileType::QbInt8Channel, GgmlType::QB_I8_CH},
    {"FP8", FileType::QbFp8Channel, GgmlType::QB_F8_E4M3_CH},
};

enum class Category { TokenEmbd, Output, AttnQkv, AttnQ, AttnK, AttnV, AttnOutput, FfnUp, FfnGate, FfnDown, Other };

Category categoryOf(const std::string& n) {
    if (n == "output.weight") return Category::Output;
    if (n == "token_embd.weight") return Category::TokenEmbd;
    if (n.find("attn_qkv.weight") != std::string::npos) return Category::AttnQkv; // Phi-3's fused q|k|v
    if (n.find("attn_v.weight") != std::string::npos) return Category::AttnV;
    if (n.find("attn_k.weight") != std::string::npos) return Category::AttnK;
    if (n.find("attn_q.weight") != std::string::npos) return Category::AttnQ;
    if (n.find("attn_output.weight") != std::string::npos) return Category::AttnOutput;
    if (n.find("ffn_up") != std::string::npos) return Category::FfnUp;
    if (n.find("ffn_gate") != std::string::npos) return Category::FfnGate;
    if (n.find("ffn_down") != std::string::npos) return Category::FfnDown;
    return Category::Other;
}

bool useMoreBits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

bool isQuantized(GgmlType t) { return t != GgmlType::F32 && t != GgmlType::F16 && t != GgmlType::BF16; }

// llama.cpp's tensor_type_fallback, except 32-block types go to F16 instead of refusing.
GgmlType fallback(GgmlType t, int64_t cols) {
    if (cols % traits(t).blockElements == 0) return t;
    GgmlType r;
    switch (t) {
    case GgmlType::Q2_K: case GgmlType::Q3_K: r = GgmlType::Q4_0; break;
    case GgmlType::Q4_K: r = GgmlType::Q5_0; break;
    case GgmlType::Q5_K: r = GgmlType::Q5_1; break;
    case GgmlType::Q6_K: r = GgmlType::Q8_0; break;
    default: r = GgmlType::F16; break;
    }
    return cols % traits(r).blockElements == 0 ? r : GgmlType::F16;
}

struct Counters {
    int attnV = 0, ffnDown = 0;
};

GgmlType mixType(const TensorPlanInput& t, GgmlType type, const Recipe& recipe, const RecipeContext& ctx, Counters& c) {
    const Category cat = categoryOf(t.name);
    const FileType f = recipe.fileType;
    const int gqa = ctx.nKvHeads > 0 ? ctx.nHeads / ctx.nKvHeads : 1;
    if (cat == Category::Output || (!ctx.hasOutputTensor && cat == Category::TokenEmbd)) {
        if (t.shape[0] % traits(type).blockElements != 0) return GgmlType::Q8_0;
        return type != GgmlType::Q8_0 ? GgmlType::Q6_K : type;
    }
    switch (cat) {
    case Category::AttnV: {
        if (f == FileType::MostlyQ2_K) type = gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K;
        else if (f == FileType::MostlyQ3_K_M) type = c.attnV < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
        else if ((f == FileType::MostlyQ4_K_M || f == FileType::MostlyQ5_K_M) && useMoreBits(c.attnV, ctx.nLayers)) type = GgmlType::Q6_K;
        ++c.attnV;
        return type;
    }
    case Category::FfnDown: {
        const int i = c.ffnDown++, n = ctx.nLayers;
        if (f == FileType::MostlyQ2_K) return GgmlType::Q3_K;
        if (f == FileType::MostlyQ3_K_M) return i < n / 16 ? GgmlType::Q5_K : GgmlType::Q4_K;
        if (f == FileType::MostlyQ4_K_M) return useMoreBits(i, n) ? GgmlType::Q6_K : type;
        if (f == FileType::MostlyQ5_K_M) return useMoreBits(i, n) ? GgmlType::Q6_K : type;
        if ((f == FileType::MostlyQ4_0 || f == FileType::MostlyQ5_0) && ctx.hasImatrix && i < n / 8)
            return f == FileType::MostlyQ4_0 ? GgmlType::Q4_1 : GgmlType::Q5_1;
        return type;
    }
    case Category::AttnQkv:
        if (f == FileType::MostlyQ3_K_M) return GgmlType::Q4_K;
        if (f == FileType::MostlyQ4_K_M) return GgmlType::Q5_K;
        if (f == FileType::MostlyQ5_K_M) return GgmlType::Q6_K;
        return type;
    case Category::AttnOutput:
        if (f == FileType::MostlyQ2_K) return GgmlType::Q3_K;
        if (f == FileType::MostlyQ3_K_M) return GgmlType::Q4_K;
        return type;
    default: return type;
    }
}

} // namespace

std::optional<Recipe> recipeFromName(const std::string& nameIn) {
    std::string name = nameIn;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return char(std::toupper(ch)); });
    if (name == "Q4_K") name = "Q4_K_M";
    if (name == "Q5_K") name = "Q5_K_M";
    if (name == "Q3_K") name = "Q3_K_M";
    if (name == "FP8_E4M3" || name == "F8_E4M3") name = "FP8";
    if (name == "I8" || name == "W8A8") name = "INT8";
    for (const auto& r : kRecipes)
        if (r.name == name) return r;
    return std::nullopt;
}

std::vector<std::string> recipeNames() {
    std::vector<std::string> v;
    for (const auto& r : kRecipes) v.push_back(r.name);
    return v;
}

bool tensorIsQuantizable(const std::string& name, const std::vector<int64_t>& shape) {
    if (shape.size() < 2) return false;
    if (name.size() < 6 || name.compare(name.size() - 6, 6, "weight") != 0) return false;
    return name.find("_norm.weight") == std::string::npos;
}

std::vector<GgmlType> planTensorTypes(const std::vector<TensorPlanInput>& tensors, const Recipe& recipe, const RecipeContext& ctx,
                                      std::vector<GgmlType>* wanted) {
    std::vector<GgmlType> out;
    if (wanted) wanted->clear();
    Counters counters;
    for (const auto& t : tensors) {
        if (!tensorIsQuantizable(t.name, t.shape)) {
            out.push_back(t.sourceType == GgmlType::F32 || t.sourceType == GgmlType::F16 || t.sourceType == GgmlType::BF16
                              ? t.sourceType : GgmlType::F32);
            if (wanted) wanted->push_back(out.back());
            continue;
        }
        GgmlType type = recipe.baseType;
        if (hasRowScale(type)) { // per-channel: every matrix, no mix and no block-size constraint
            out.push_back(type);
            if (wanted) wanted->push_back(type);
            continue;
        }
        if (isQuantized(type) && !ctx.pure) type = mixType(t, type, recipe, ctx, counters);
        if (wanted) wanted->push_back(type);
        if (isQuantized(type)) type = fallback(type, t.shape[0]);
        out.push_back(type);
    }
    return out;
}

} // namespace qb
