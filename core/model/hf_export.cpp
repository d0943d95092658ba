#include "model/hf_export.h"

#include "formats/safetensors.h"
#include "model/hf_names.h"
#include "model/pretokenizer.h"
#include "common/error.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace qb {

namespace {

void writeText(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw fileError(path, "cannot create");
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) throw fileError(path, "write failed", ErrorKind::Internal);
}

} // namespace


void exportHfTokenizer(const Vocab& v, const std::string& dir) {
    // tokenizer.json: SentencePiece vocabularies as Unigram with their scores,
    // byte-level BPE as BPE with merges and its pre-tokenizer regex
    nlohmann::json tok;
    nlohmann::json added = nlohmann::json::array();
    for (int i = 0; i < v.size(); ++i) {
        const auto t = v.type(i);
        if (t == TokenType::Control || t == TokenType::UserDefined)
            added.push_back({{"id", i}, {"content", v.tokens[size_t(i)]}, {"special", t == TokenType::Control}});
    }
    tok["added_tokens"] = added;
    if (v.kind == TokenizerKind::Spm) {
        nlohmann::json vocab = nlohmann::json::array();
        for (int i = 0; i < v.size(); ++i) vocab.push_back({v.tokens[size_t(i)], v.scores[size_t(i)]});
        tok["model"] = {{"type", "Unigram"}, {"unk_id", v.unk}, {"vocab", vocab}, {"byte_fallback", true}};
    } else {
        nlohmann::json vocab = nlohmann::json::object();
        for (int i = 0; i < v.size(); ++i) vocab[v.tokens[size_t(i)]] = i;
        tok["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", v.merges}};
        tok["pre_tokenizer"] = {{"type", "Sequence"},
                                {"pretokenizers", {{{"type", "Split"}, {"pattern", {{"Regex", Pretokenizer::pattern(v.pre)}}}},
                                                   {{"type", "ByteLevel"}, {"add_prefix_space", false}}}}};
    }
    writeText(dir + "/tokenizer.json", tok.dump());
    nlohmann::json tcfg{{"add_bos_token", v.addBos}, {"add_eos_token", v.addEos}};
    if (v.bos >= 0) tcfg["bos_token"] = v.tokens[size_t(v.bos)];
    if (v.eos >= 0) tcfg["eos_token"] = v.tokens[size_t(v.eos)];
    writeText(dir + "/tokenizer_config.json", tcfg.dump(2));
}

void exportHfDirectory(const Model& m, const std::string& dir, int shards, const std::function<bool(uint64_t, uint64_t)>& progress) {
    namespace fs = std::filesystem;
    const ModelConfig& c = m.config;
    fs::create_directories(dir);
    const bool gemma2 = c.arch == Architecture::Gemma2;
    const char* const architecture = c.arch == Architecture::Qwen2 ? "Qwen2ForCausalLM" : c.arch == Architecture::Phi3 ? "Phi3ForCausalLM"
                                   : gemma2                        ? "Gemma2ForCausalLM" : "LlamaForCausalLM";
    nlohmann::json cfg{{"model_type", c.archName},       {"architectures", {architecture}},
                       {"hidden_size", c.dim},           {"num_hidden_layers", c.nLayers},
                       {"num_attention_heads", c.nHeads}, {"num_key_value_heads", c.nKvHeads},
                       {"intermediate_size", c.ffnDim},  {"vocab_size", c.vocabSize},
                       {"max_position_embeddings", c.contextLength}, {"rms_norm_eps", c.normEps},
                       {"rope_theta", c.ropeFreqBase},   {"tie_word_embeddings", false}};
    // compressed-tensors description of per-channel FP8 / INT8 weights
    bool fp8 = false, int8 = false;
    for (const Tensor& t : m.tensors) {
        fp8 |= t.type == GgmlType::QB_F8_E4M3_CH;
        int8 |= t.type == GgmlType::QB_I8_CH;
        if (t.inputScale)
            throw Error(m.path + ": tensor '" + t.name + "': static activation scales (W8A8 static) have no form in this exporter; use dynamic INT8");
        if (t.type != GgmlType::F32 && t.type != GgmlType::F16 && t.type != GgmlType::BF16 && !hasRowScale(t.type))
            throw Error(m.path + ": tensor '" + t.name + "': type " + typeName(t.type) +
                        " has no safetensors form, expected F32/F16/BF16 or QuantBench's FP8/INT8 per-channel");
    }
    if (fp8 || int8) {
        nlohmann::json weights{{"num_bits", 8}, {"type", fp8 ? "float" : "int"}, {"strategy", "channel"}, {"symmetric", true}, {"dynamic", false}};
        nlohmann::json group{{"weights", weights}, {"targets", {"Linear"}}};
        if (int8) group["input_activations"] = {{"num_bits", 8}, {"type", "int"}, {"strategy", "token"}, {"symmetric", true}, {"dynamic", true}};
        cfg["quantization_config"] = {{"quant_method", "compressed-tensors"},
                                      {"format", fp8 ? "float-quantized" : "int-quantized"},
                                      {"config_groups", {{"group_0", group}}},
                                      {"ignore", nlohmann::json::array()}};
    }
    if (c.slidingWindow > 0) cfg["sliding_window"] = c.slidingWindow;
    if (gemma2) { // transformers' Gemma2Config; tied embeddings (no lm_head)
        cfg["head_dim"] = c.headDim;
        cfg["hidden_activation"] = cfg["hidden_act"] = "gelu_pytorch_tanh";
        cfg["attn_logit_softcapping"] = c.attnSoftcap > 0 ? nlohmann::json(c.attnSoftcap) : nlohmann::json(nullptr);
        cfg["final_logit_softcapping"] = c.finalSoftcap > 0 ? nlohmann::json(c.finalSoftcap) : nlohmann::json(nullptr);
        cfg["sliding_window"] = c.localWindow;
        cfg["query_pre_attn_scalar"] = c.attentionScale > 0 ? int(std::lround(1.0 / (double(c.attentionScale) * c.attentionScale))) : c.headDim;
        cfg["tie_word_embeddings"] = true;
    }
    // RoPE scaling: one rope_scaling (Llama 3's rope_freqs has no exact HF form; refused with the tensor below)
    const double factor = 1.0 / double(c.ropeFreqScale);
    if (!c.ropeFactorsLong.empty()) { // Phi-3 LongRoPE: the divisors live in the config, not as tensors
        if (c.ropeYarn || c.ropeFreqScale != 1.0f)
            throw Error(m.path + ": LongRoPE combined with " + ropeScalingText(c) + " has no Hugging Face form");
        cfg["rope_scaling"] = {{"rope_type", "longrope"}, {"long_factor", c.ropeFactorsLong}, {"short_factor", c.ropeFactorsShort},
                               {"attention_factor", c.ropeAttnFactor}};
        cfg["original_max_position_embeddings"] = c.ropeOriginalContext();
    } else if (c.ropeYarn) {
        cfg["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", factor}, {"original_max_position_embeddings", c.ropeOriginalContext()}};
        if (c.ropeAttnFactor != 1.0f) // HF's attention_factor is the whole magnitude: ggml's 1 + 0.1 ln(factor) times the file's factor
            cfg["rope_scaling"]["attention_factor"] = double(c.ropeAttnFactor) * (1.0 + 0.1 * std::log(factor));
    } else if (c.ropeAttnFactor != 1.0f) {
        throw Error(m.path + ": rope.scaling.attn_factor " + std::to_string(c.ropeAttnFactor) + " has no Hugging Face form without YaRN or LongRoPE");
    } else if (c.ropeFreqScale != 1.0f) {
        cfg["rope_scaling"] = {{"rope_type", "linear"}, {"factor", factor}};
    }
    writeText(dir + "/config.json", cfg.dump(2));

    exportHfTokenizer(*m.vocab, dir);

    // weights, split across `shards` files
    std::vector<std::vector<StTensorOut>> files(size_t(std::max(1, shards)));
    nlohmann::json weightMap = nlohmann::json::object();
    size_t k = 0;
    const auto fileOf = [&](size_t shard) {
        return "model-0000" + std::to_string(shard + 1) + "-of-0000" + std::to_string(files.size()) + ".safetensors";
    };
    const auto place = [&](StTensorOut&& out) { // round-robin over the shards; returns the shard
        const size_t shard = k++ % files.size();
        weightMap[out.name] = fileOf(shard);
        files[shard].push_back(std::move(out));
        return shard;
    };
    for (const Tensor& t : m.tensors) {
        if (t.name.size() > 6 && t.name.compare(t.name.size() - 6, 6, "_scale") == 0) continue; // written with its weight below
        if (t.name == "rope_factors_long.weight" || t.name == "rope_factors_short.weight") continue; // in config.json's rope_scaling
        const std::string hf = hfNameFromGguf(t.name, c.arch);
        if (hf.empty()) // never dropped silently: the exported model would compute something else
            throw Error(m.path + ": tensor '" + t.name + "' has no Hugging Face form this exporter writes");
        const bool permute = c.arch == Architecture::Llama &&
                             (t.name.find(".attn_q.weight") != std::string::npos || t.name.find(".attn_k.weight") != std::string::npos);
        StTensorOut out;
        out.name = hf;
        out.dtype = t.type == GgmlType::F16 ? StDtype::F16 : t.type == GgmlType::BF16 ? StDtype::BF16
                  : t.type == GgmlType::QB_F8_E4M3_CH ? StDtype::F8_E4M3 : t.type == GgmlType::QB_I8_CH ? StDtype::I8 : StDtype::F32;
        out.shape.assign(t.shape.rbegin(), t.shape.rend());
        const Tensor src = t;
        if (gemma2 && t.name.ends_with("norm.weight")) {
            out.dtype = StDtype::F32; // Gemma's RMSNorm multiplies by (1 + w): HF stores w, GGUF 1 + w
            out.produce = [src]() {
                std::vector<float> w(size_t(src.elements()));
                src.dequantizeRowTo(0, w.data());
                std::vector<uint8_t> bytes(w.size() * 4);
                for (size_t i = 0; i < w.size(); ++i) {
                    const float v = w[i] - 1.0f;
                    std::memcpy(bytes.data() + i * 4, &v, 4);
                }
                return bytes;
            };
            place(std::move(out));
            continue;
        }
        const int headDim = c.headDim;
        out.produce = [src, permute, headDim]() {
            std::vector<uint8_t> bytes(src.bytes);
            const size_t rowBytes = src.rowStride();
            for (int64_t r = 0; r < src.rows(); ++r) {
                const int64_t from = permute ? interleavedRow(r, headDim) : r;
                std::memcpy(bytes.data() + size_t(r) * rowBytes, src.row(from), rowBytes);
            }
            return bytes;
        };
        const size_t shard = place(std::move(out));
        if (t.rowScale) { // weight_scale [out, 1], rows in the same (HF) order
            StTensorOut scale{hf + "_scale", StDtype::F32, {t.rows(), 1}, {}};
            scale.produce = [src, permute, headDim]() {
                std::vector<uint8_t> bytes(size_t(src.rows()) * 4);
                for (int64_t r = 0; r < src.rows(); ++r) {
                    const int64_t from = permute ? interleavedRow(r, headDim) : r;
                    std::memcpy(bytes.data() + size_t(r) * 4, &src.rowScale[from], 4);
                }
                return bytes;
            };
            weightMap[hf + "_scale"] = fileOf(shard);
            files[shard].push_back(std::move(scale));
        }
    }
    // progress in bytes written; a cancel throws from inside the writer, which removes its partial file
    uint64_t total = 0, done = 0;
    for (auto& file : files)
        for (StTensorOut& t : file) {
            uint64_t n = uint64_t(stDtypeBytes(t.dtype));
            for (int64_t d : t.shape) n *= uint64_t(d);
            total += n;
            t.produce = [inner = std::move(t.produce), n, &done, &total, &progress, &dir]() {
                std::vector<uint8_t> bytes = inner();
                done += n;
                if (progress && !progress(done, total)) throw fileError(dir, "export cancelled", ErrorKind::Cancelled);
                return bytes;
            };
        }
    if (progress && !progress(0, total)) throw fileError(dir, "export cancelled", ErrorKind::Cancelled);
    for (size_t s = 0; s < files.size(); ++s) writeSafetensors(dir + "/" + fileOf(s), files[s], {{"format", "pt"}});
    writeText(dir + "/model.safetensors.index.json", nlohmann::json{{"metadata", nlohmann::json::object()}, {"weight_map", weightMap}}.dump(2));
}

} // namespace qb
