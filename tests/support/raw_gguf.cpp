#include "support/raw_gguf.h"

#include "quant/ggml_type.h"

#include <random>

namespace qbtest {

std::string buildTinyModel(const TinyModelSpec& s) {
    const uint64_t dim = 32, kv = 16, ffn = 32, vocab = 8;
    struct T { std::string name; std::vector<uint64_t> dims; };
    const std::vector<T> tensors = {
        {"token_embd.weight", {dim, vocab}},  {"output_norm.weight", {dim}},       {"output.weight", {dim, vocab}},
        {"blk.0.attn_norm.weight", {dim}},    {"blk.0.attn_q.weight", {dim, dim}}, {"blk.0.attn_k.weight", {dim, kv}},
        {"blk.0.attn_v.weight", {dim, kv}},   {"blk.0.attn_output.weight", {dim, dim}}, {"blk.0.ffn_norm.weight", {dim}},
        {"blk.0.ffn_gate.weight", {dim, ffn}}, {"blk.0.ffn_down.weight", {ffn, dim}}, {"blk.0.ffn_up.weight", {dim, ffn}},
    };
    RawGguf g;
    const uint64_t nKv = 13 + (s.alignment ? 1 : 0) + (s.vocabSizeKv ? 1 : 0);
    g.header(s.version, s.nTensors.value_or(tensors.size()), s.nKv.value_or(nKv));
    if (s.archStringLength) {
        g.str("general.architecture"); g.u32(8); g.u64(*s.archStringLength); g.bytes += s.architecture;
    } else {
        g.kvString("general.architecture", s.architecture);
    }
    const std::string a = s.architecture + "."; // the hyper-parameters' prefix
    g.kvU32(a + "embedding_length", dim);
    g.kvU32(a + "block_count", s.blockCount);
    g.kvU32(a + "feed_forward_length", ffn);
    g.kvU32(a + "attention.head_count", 2);
    g.kvU32(a + "attention.head_count_kv", 1);
    g.kvU32(a + "context_length", s.contextLength);
    g.kvF32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
    g.kvString("tokenizer.ggml.model", "llama");
    const std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", s.byteToken, "\xE2\x96\x81" "a", "\xE2\x96\x81" "b", "a", "b"};
    if (s.tokensClaim) { // the array's length field says more than follows
        g.str("tokenizer.ggml.tokens"); g.u32(9); g.u32(8); g.u64(*s.tokensClaim);
        for (const auto& t : tokens) g.str(t);
    } else {
        g.kvStrings("tokenizer.ggml.tokens", tokens);
    }
    if (s.scoresAsU8) g.kvU8s("tokenizer.ggml.scores", {0, 0, 0, 0, 1, 2, 3, 4});
    else g.kvF32s("tokenizer.ggml.scores", {0, 0, 0, 0, -1, -2, -3, -4});
    g.kvI32s("tokenizer.ggml.token_type", {2, 3, 3, 6, 1, 1, 1, 1});
    g.kvU32("tokenizer.ggml.bos_token_id", 1);
    if (s.alignment) { g.str("general.alignment"); g.u32(s.alignment->first); if (s.alignment->first == 10) g.u64(s.alignment->second); else if (s.alignment->first == 8) g.str(std::to_string(s.alignment->second)); else g.u32(uint32_t(s.alignment->second)); }
    if (s.vocabSizeKv) g.kvU32(a + "vocab_size", *s.vocabSizeKv);
    const size_t align = (s.alignment && s.alignment->first == 4 && s.alignment->second && !(s.alignment->second & (s.alignment->second - 1))) ? size_t(s.alignment->second) : 32;
    uint64_t offset = 0;
    std::vector<uint64_t> sizes;
    std::vector<uint32_t> types;
    for (const auto& t : tensors) {
        const bool isQ = t.name == "blk.0.attn_q.weight";
        const auto dims = isQ && s.qDims ? *s.qDims : t.dims;
        const uint32_t type = t.dims.size() == 2 ? s.matrixType : 0;
        const auto tt = qb::typeTraits(type);
        const uint64_t rows = t.dims.size() == 2 ? t.dims[1] : 1;
        const uint64_t bytes = rows * (t.dims[0] / uint64_t(tt->blockElements)) * uint64_t(tt->blockBytes);
        g.tensorInfo(t.name, dims, isQ && s.qType ? *s.qType : type, isQ && s.qOffset ? *s.qOffset : offset);
        sizes.push_back(bytes);
        types.push_back(type);
        offset += (bytes + align - 1) / align * align;
    }
    g.pad(align);
    std::mt19937 rng(42);
    std::normal_distribution<float> dist(0.0f, 0.3f);
    for (size_t i = 0; i < tensors.size(); ++i) {
        const bool norm = tensors[i].dims.size() == 1;
        if (types[i] != 0) { // quantized: deterministic bytes (any bit pattern is a valid block)
            for (uint64_t k = 0; k < sizes[i]; ++k) g.u8(uint8_t(rng()));
        } else {
            for (uint64_t k = 0; k < sizes[i] / 4; ++k) g.f32(norm ? 1.0f : dist(rng));
        }
        g.pad(align);
    }
    if (s.truncateTo) g.bytes.resize(*s.truncateTo);
    if (s.truncateFromEnd) g.bytes.resize(g.bytes.size() - *s.truncateFromEnd);
    return g.bytes;
}

} // namespace qbtest
