#include "model/model.h"

#include "common/error.h"
#include "model/loaders.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace qb {

std::string ropeScalingText(const ModelConfig& c) {
    auto num = [](double v) {
        char b[32];
        std::snprintf(b, sizeof b, "%.4g", v);
        return std::string(b);
    };
    std::string out;
    const auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
    if (c.ropeYarn) add("YaRN, factor " + num(1.0 / double(c.ropeFreqScale)) + ", original context " + std::to_string(c.ropeOriginalContext()));
    else if (c.ropeFreqScale != 1.0f) add("linear, factor " + num(1.0 / double(c.ropeFreqScale)));
    if (!c.ropeFreqFactors.empty()) {
        std::string f = "Llama 3 frequency factors";
        for (size_t i = 0; i < c.ropeFreqFactors.size(); ++i) {
            if (i == 8) { f += ", …"; break; }
            f += (i ? ", " : " ") + num(c.ropeFreqFactors[i]);
        }
        add(f);
    }
    if (!c.ropeFactorsLong.empty()) add("LongRoPE, original context " + std::to_string(c.ropeOriginalContext()));
    if (c.ropeAttnFactor != 1.0f) add("attention factor " + num(c.ropeAttnFactor));
    return out.empty() ? "none" : out;
}

Architecture architectureFromName(const std::string& name, const std::string& source) {
    if (name == "llama") return Architecture::Llama;
    if (name == "qwen2") return Architecture::Qwen2;
    if (name == "phi3") return Architecture::Phi3;
    if (name == "gemma2") return Architecture::Gemma2;
    throw Error(source + ": unknown architecture '" + name + "', expected llama, qwen2, phi3 or gemma2");
}

int64_t Model::parameterCount() const {
    int64_t n = 0;
    for (const auto& t : tensors) n += t.elements();
    return n;
}

void setGemma2Structure(ModelConfig& c) {
    c.embeddingScale = std::sqrt(float(c.dim));
    c.ffnActivation = FfnActivation::GeluTanh;
    c.postNorms = true;
    c.queryPreScale = true;
}

float ModelConfig::scoreScale() const { return attentionScale > 0 ? attentionScale : 1.0f / std::sqrt(float(headDim)); }

uint64_t Model::weightBytes() const {
    uint64_t n = 0;
    for (const auto& t : tensors) n += t.bytes;
    return n;
}

std::unique_ptr<Model> loadModel(const std::string& path, const LoadOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) return loadSafetensorsModel(path, options);
    if (!fs::exists(path, ec)) throw fileError(path, "no such file or directory");
    char magic[4] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 4);
    if (in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0) return loadGgufModel(path, options);
    if (path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0)
        return loadSafetensorsModel(fs::path(path).parent_path().string(), options);
    return loadLlama2cModel(path, options);
}

namespace {

void expectTensor(const Model& m, const Tensor& t, const std::string& name, std::vector<int64_t> shape, bool floatOnly = false) {
    if (!t.present()) throw Error(m.path + ": tensor '" + name + "': missing");
    if (t.shape != shape) {
        auto fmt = [](const std::vector<int64_t>& s) {
            std::string r = "[";
            for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
            return r + "]";
        };
        throw Error(m.path + ": tensor '" + t.name + "': expected shape " + fmt(shape) + ", got " + fmt(t.shape));
    }
    if (floatOnly && t.type != GgmlType::F32 && t.type != GgmlType::F16 && t.type != GgmlType::BF16)
        throw Error(m.path + ": tensor '" + t.name + "': expected F32/F16/BF16 for a norm or bias, got " + typeName(t.type));
}

} // namespace

void validateConfig(const Model& m) {
    const ModelConfig& c = m.config;
    auto positive = [&](int v, const char* what) {
        if (v <= 0) throw Error(m.path + ": " + what + " = " + std::to_string(v) + ", expected a positive number");
    };
    positive(c.dim, "embedding_length");
    positive(c.nLayers, "block_count");
    positive(c.nHeads, "attention.head_count");
    positive(c.nKvHeads, "attention.head_count_kv");
    positive(c.ffnDim, "feed_forward_length");
    positive(c.vocabSize, "vocab_size");
    if (c.headDim <= 0)
        throw Error(m.path + ": embedding_length " + std::to_string(c.dim) + " is not a multiple of head_count " + std::to_string(c.nHeads) +
                    " and no attention.key_length gives the head dimension");
    if (c.nHeads % c.nKvHeads != 0)
        throw Error(m.path + ": head_count " + std::to_string(c.nHeads) + " is not a multiple of head_count_kv " + std::to_string(c.nKvHeads));
    if (c.headDim > 256) throw Error(m.path + ": head dimension " + std::to_string(c.headDim) + " is above the supported 256");
    if (c.headDim % 2 != 0) throw Error(m.path + ": head dimension " + std::to_string(c.headDim) + " must be even for RoPE");
}

void validateWeights(const Model& m) {
    validateConfig(m);
    const ModelConfig& c = m.config;
    if (m.vocab && m.vocab->size() != c.vocabSize)
        throw Error(m.path + ": vocab_size " + std::to_string(c.vocabSize) + " disagrees with the tokenizer's " +
                    std::to_string(m.vocab->size()) + " tokens");
    const auto& w = m.weights;
    const int64_t qDim = int64_t(c.nHeads) * c.headDim;
    expectTensor(m, w.tokenEmbedding, "token_embd.weight", {c.dim, c.vocabSize});
    expectTensor(m, w.outputNorm, "output_norm.weight", {c.dim}, true);
    expectTensor(m, w.output, "output.weight", {c.dim, c.vocabSize});
    if (int(w.layers.size()) != c.nLayers)
        throw Error(m.path + ": found " + std::to_string(w.layers.size()) + " layers, expected block_count = " + std::to_string(c.nLayers));
    for (int l = 0; l < c.nLayers; ++l) {
        const LayerWeights& L = w.layers[size_t(l)];
        const std::string p = "blk." + std::to_string(l) + ".";
        expectTensor(m, L.attnNorm, p + "attn_norm.weight", {c.dim}, true);
        expectTensor(m, L.wq, p + "attn_q.weight", {c.dim, qDim});
        expectTensor(m, L.wk, p + "attn_k.weight", {c.dim, c.kvDim()});
        expectTensor(m, L.wv, p + "attn_v.weight", {c.dim, c.kvDim()});
        expectTensor(m, L.wo, p + "attn_output.weight", {qDim, c.dim});
        expectTensor(m, L.ffnNorm, p + "ffn_norm.weight", {c.dim}, true);
        expectTensor(m, L.wGate, p + "ffn_gate.weight", {c.dim, c.ffnDim});
        expectTensor(m, L.wDown, p + "ffn_down.weight", {c.ffnDim, c.dim});
        expectTensor(m, L.wUp, p + "ffn_up.weight", {c.dim, c.ffnDim});
        if (c.postNorms) {
            expectTensor(m, L.postAttnNorm, p + "post_attention_norm.weight", {c.dim}, true);
            expectTensor(m, L.postFfnNorm, p + "post_ffw_norm.weight", {c.dim}, true);
        }
        if (c.arch == Architecture::Qwen2) {
            expectTensor(m, L.bq, p + "attn_q.bias", {qDim}, true);
            expectTensor(m, L.bk, p + "attn_k.bias", {c.kvDim()}, true);
            expectTensor(m, L.bv, p + "attn_v.bias", {c.kvDim()}, true);
        }
    }
}

} // namespace qb
