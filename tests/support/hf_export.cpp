#include "support/hf_export.h"

#include "formats/safetensors.h"
#include "model/hf_names.h"
#include "model/pretokenizer.h"
#include "support/test_paths.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace qbtest {

void exportHfTokenizer(const qb::Vocab& v, const std::string& dir) {
    // tokenizer.json: SentencePiece vocabularies as Unigram with their scores,
    // byte-level BPE as BPE with merges and its pre-tokenizer regex
    nlohmann::json tok;
    nlohmann::json added = nlohmann::json::array();
    for (int i = 0; i < v.size(); ++i) {
        const auto t = v.type(i);
        if (t == qb::TokenType::Control || t == qb::TokenType::UserDefined)
            added.push_back({{"id", i}, {"content", v.tokens[size_t(i)]}, {"special", t == qb::TokenType::Control}});
    }
    tok["added_tokens"] = added;
    if (v.kind == qb::TokenizerKind::Spm) {
        nlohmann::json vocab = nlohmann::json::array();
        for (int i = 0; i < v.size(); ++i) vocab.push_back({v.tokens[size_t(i)], v.scores[size_t(i)]});
        tok["model"] = {{"type", "Unigram"}, {"unk_id", v.unk}, {"vocab", vocab}, {"byte_fallback", true}};
    } else {
        nlohmann::json vocab = nlohmann::json::object();
        for (int i = 0; i < v.size(); ++i) vocab[v.tokens[size_t(i)]] = i;
        tok["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", v.merges}};
        tok["pre_tokenizer"] = {{"type", "Sequence"},
                                {"pretokenizers", {{{"type", "Split"}, {"pattern", {{"Regex", qb::Pretokenizer::pattern(v.pre)}}}},
                                                   {{"type", "ByteLevel"}, {"add_prefix_space", false}}}}};
    }
    writeFile(dir + "/tokenizer.json", tok.dump());
    nlohmann::json tcfg{{"add_bos_token", v.addBos}, {"add_eos_token", v.addEos}};
    if (v.bos >= 0) tcfg["bos_token"] = v.tokens[size_t(v.bos)];
    if (v.eos >= 0) tcfg["eos_token"] = v.tokens[size_t(v.eos)];
    writeFile(dir + "/tokenizer_config.json", tcfg.dump(2));
}

void exportHfDirectory(const qb::Model& m, const std::string& dir, int shards) {
    namespace fs = std::filesystem;
    fs::create_directories(dir);
    const qb::ModelConfig& c = m.config;
    nlohmann::json cfg{{"model_type", c.archName},       {"architectures", {"LlamaForCausalLM"}},
                       {"hidden_size", c.dim},           {"num_hidden_layers", c.nLayers},
                       {"num_attention_heads", c.nHeads}, {"num_key_value_heads", c.nKvHeads},
                       {"intermediate_size", c.ffnDim},  {"vocab_size", c.vocabSize},
                       {"max_position_embeddings", c.contextLength}, {"rms_norm_eps", c.normEps},
                       {"rope_theta", c.ropeFreqBase},   {"tie_word_embeddings", false}};
    writeFile(dir + "/config.json", cfg.dump(2));

    exportHfTokenizer(*m.vocab, dir);

    // weights, split across `shards` files
    std::vector<std::vector<qb::StTensorOut>> files(size_t(std::max(1, shards)));
    nlohmann::json weightMap = nlohmann::json::object();
    size_t k = 0;
    for (const qb::Tensor& t : m.tensors) {
        const std::string hf = qb::hfNameFromGguf(t.name);
        if (hf.empty()) continue;
        const bool permute = c.arch == qb::Architecture::Llama &&
                             (t.name.find(".attn_q.weight") != std::string::npos || t.name.find(".attn_k.weight") != std::string::npos);
        qb::StTensorOut out;
        out.name = hf;
        out.dtype = t.type == qb::GgmlType::F16 ? qb::StDtype::F16 : t.type == qb::GgmlType::BF16 ? qb::StDtype::BF16 : qb::StDtype::F32;
        out.shape.assign(t.shape.rbegin(), t.shape.rend());
        const qb::Tensor src = t;
        const int headDim = c.headDim;
        out.produce = [src, permute, headDim]() {
            std::vector<uint8_t> bytes(src.bytes);
            const size_t rowBytes = src.rowStride();
            for (int64_t r = 0; r < src.rows(); ++r) {
                const int64_t from = permute ? qb::interleavedRow(r, headDim) : r;
                std::memcpy(bytes.data() + size_t(r) * rowBytes, src.row(from), rowBytes);
            }
            return bytes;
        };
        const size_t shard = k++ % files.size();
        const std::string fileName = "model-0000" + std::to_string(shard + 1) + "-of-0000" + std::to_string(files.size()) + ".safetensors";
        weightMap[hf] = fileName;
        files[shard].push_back(std::move(out));
    }
    for (size_t s = 0; s < files.size(); ++s)
        qb::writeSafetensors(dir + "/model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(files.size()) + ".safetensors", files[s],
                             {{"format", "pt"}});
    writeFile(dir + "/model.safetensors.index.json", nlohmann::json{{"metadata", nlohmann::json::object()}, {"weight_map", weightMap}}.dump(2));
}

} // namespace qbtest
