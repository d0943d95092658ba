#include "model/model_metadata.h"

#include <set>

namespace qb {

namespace {

void put(std::vector<std::pair<std::string, GgufValue>>& kv, const std::string& key, GgufValue v) {
    for (auto& [k, val] : kv)
        if (k == key) { val = std::move(v); return; }
    kv.emplace_back(key, std::move(v));
}

} // namespace

std::vector<std::pair<std::string, GgufValue>> ggufMetadataFor(const Model& m) {
    std::vector<std::pair<std::string, GgufValue>> kv;
    // Keys that describe the file rather than the model are not carried over.
    const std::set<std::string> drop = {"general.alignment", "general.file_type", "general.quantization_version"};
    for (const auto& [k, v] : m.sourceMetadata)
        if (!drop.count(k) && k.rfind("quantbench.", 0) != 0) kv.emplace_back(k, v);

    const ModelConfig& c = m.config;
    const std::string a = c.archName + ".";
    put(kv, "general.architecture", GgufValue::str(c.archName));
    if (!c.name.empty()) put(kv, "general.name", GgufValue::str(c.name));
    put(kv, a + "context_length", GgufValue::u32(uint32_t(c.contextLength)));
    put(kv, a + "embedding_length", GgufValue::u32(uint32_t(c.dim)));
    put(kv, a + "block_count", GgufValue::u32(uint32_t(c.nLayers)));
    put(kv, a + "feed_forward_length", GgufValue::u32(uint32_t(c.ffnDim)));
    put(kv, a + "attention.head_count", GgufValue::u32(uint32_t(c.nHeads)));
    put(kv, a + "attention.head_count_kv", GgufValue::u32(uint32_t(c.nKvHeads)));
    put(kv, a + "attention.layer_norm_rms_epsilon", GgufValue::f32(c.normEps));
    put(kv, a + "rope.freq_base", GgufValue::f32(c.ropeFreqBase));
    put(kv, a + "rope.dimension_count", GgufValue::u32(uint32_t(c.ropeDim)));
    put(kv, a + "vocab_size", GgufValue::u32(uint32_t(c.vocabSize)));
    // RoPE scaling (Llama 3's and LongRoPE's divisors travel as their tensors)
    if (c.ropeYarn || c.ropeFreqScale != 1.0f) {
        put(kv, a + "rope.scaling.type", GgufValue::str(c.ropeYarn ? "yarn" : "linear"));
        put(kv, a + "rope.scaling.factor", GgufValue::f32(1.0f / c.ropeFreqScale));
    }
    if (c.ropeOrigContext > 0) put(kv, a + "rope.scaling.original_context_length", GgufValue::u32(uint32_t(c.ropeOrigContext)));
    if (c.ropeAttnFactor != 1.0f) put(kv, a + "rope.scaling.attn_factor", GgufValue::f32(c.ropeAttnFactor));
    if (c.synthetic) put(kv, "general.synthetic", GgufValue::boolean(true));

    if (m.vocab && m.sourceMetadata.empty()) {
        const Vocab& v = *m.vocab;
        put(kv, "tokenizer.ggml.model", GgufValue::str(v.kind == TokenizerKind::Spm ? "llama" : "gpt2"));
        if (!v.pre.empty()) put(kv, "tokenizer.ggml.pre", GgufValue::str(v.pre));
        put(kv, "tokenizer.ggml.tokens", GgufValue::stringArray(v.tokens));
        put(kv, "tokenizer.ggml.scores", GgufValue::floatArray(GgufType::Float32, std::vector<double>(v.scores.begin(), v.scores.end())));
        std::vector<int64_t> types;
        for (TokenType t : v.types) types.push_back(int64_t(t));
        put(kv, "tokenizer.ggml.token_type", GgufValue::intArray(GgufType::Int32, types));
        if (!v.merges.empty()) put(kv, "tokenizer.ggml.merges", GgufValue::stringArray(v.merges));
        if (v.bos >= 0) put(kv, "tokenizer.ggml.bos_token_id", GgufValue::u32(uint32_t(v.bos)));
        if (v.eos >= 0) put(kv, "tokenizer.ggml.eos_token_id", GgufValue::u32(uint32_t(v.eos)));
        if (v.unk >= 0) put(kv, "tokenizer.ggml.unknown_token_id", GgufValue::u32(uint32_t(v.unk)));
        if (v.pad >= 0) put(kv, "tokenizer.ggml.padding_token_id", GgufValue::u32(uint32_t(v.pad)));
        put(kv, "tokenizer.ggml.add_bos_token", GgufValue::boolean(v.addBos));
        put(kv, "tokenizer.ggml.add_eos_token", GgufValue::boolean(v.addEos));
        if (v.kind == TokenizerKind::Spm) put(kv, "tokenizer.ggml.add_space_prefix", GgufValue::boolean(v.addSpacePrefix));
    }
    return kv;
}

} // namespace qb
