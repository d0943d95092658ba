// HF model directory (config.json, tokenizer.json, *.safetensors, optionally
// sharded via model.safetensors.index.json) -> Model with GGUF names. Llama
// Q/K rows are permuted to GGUF's interleaved RoPE layout, as llama.cpp's
// converter does; Qwen2 keeps the HF layout and runs NeoX RoPE.
#include "common/checked.h"
#include "common/error.h"
#include "formats/safetensors.h"
#include "model/hf_names.h"
#include "model/hf_tokenizer_json.h"
#include "model/loaders.h"
#include "model/rope.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cmath>
#include <set>

namespace qb {

namespace {

namespace fs = std::filesystem;

nlohmann::json readJsonFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw fileError(p.string(), "cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw fileError(p.string(), std::string("not valid JSON: ") + e.what());
    }
}

int configInt(const nlohmann::json& c, const std::string& key, const std::string& path, std::optional<int> fallback = {}) {
    if (!c.contains(key) || c[key].is_null()) {
        if (fallback) return *fallback;
        throw fileError(path, "'" + key + "': missing");
    }
    if (!c[key].is_number_integer()) throw fileError(path, "'" + key + "': expected an integer, got " + std::string(c[key].type_name()));
    const int64_t hi = key == "max_position_embeddings" || key == "sliding_window" ? kMaxContextClaim : kMaxModelDim;
    if (c[key].is_number_unsigned() && c[key].get<uint64_t>() > uint64_t(hi))
        throw fileError(path, "'" + key + "': " + std::to_string(c[key].get<uint64_t>()) + " is above the supported " + std::to_string(hi));
    return checkedInt(c[key].get<int64_t>(), 0, hi, path + ": '" + key + "'");
}

GgmlType ggmlFromDtype(StDtype d, const std::string& file, const std::string& tensor) {
    switch (d) {
    case StDtype::F32: return GgmlType::F32;
    case StDtype::F16: return GgmlType::F16;
    case StDtype::BF16: return GgmlType::BF16;
    case StDtype::F8_E4M3: return GgmlType::QB_F8_E4M3_CH; // with its weight_scale (compressed-tensors)
    case StDtype::I8: return GgmlType::QB_I8_CH;
    default:
        throw fileError(file, "tensor '" + tensor + "': dtype " + stDtypeName(d) + " is not a weight type we load, expected F32, F16 or BF16");
    }
}

std::vector<fs::path> shardFiles(const fs::path& dir) {
    const fs::path index = dir / "model.safetensors.index.json";
    std::vector<fs::path> files;
    if (fs::exists(index)) {
        const nlohmann::json j = readJsonFile(index);
        if (!j.contains("weight_map") || !j["weight_map"].is_object())
            throw fileError(index.string(), "'weight_map': missing or not an object");
        std::set<std::string> names;
        for (const auto& f : j["weight_map"]) {
            if (!f.is_string()) throw fileError(index.string(), "'weight_map': expected file names as strings");
            const std::string name = f.get<std::string>();
            if (name.find('/') != std::string::npos || name == "..")
                throw fileError(index.string(), "'weight_map': shard '" + name + "' must be a file in the model directory");
            names.insert(name);
        }
        for (const auto& n : names) files.push_back(dir / n);
        return files;
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".safetensors") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw fileError(dir.string(), "no *.safetensors files and no model.safetensors.index.json");
    return files;
}

} // namespace

namespace {

// Gemma 2's config (transformers' Gemma2Config): head_dim, the soft-caps (null = none), the
// window of its even layers, the query scale 1/sqrt(query_pre_attn_scalar).
void readGemma2Config(const nlohmann::json& cfg, const std::string& cp, ModelConfig& c) {
    c.headDim = configInt(cfg, "head_dim", cp, 256);
    const auto cap = [&](const char* key, double fallback) {
        if (!cfg.contains(key)) return float(fallback);
        if (cfg[key].is_null()) return 0.0f;
        if (!cfg[key].is_number() || !(cfg[key].get<double>() >= 0))
            throw fileError(cp, std::string("'") + key + "': expected a soft-cap >= 0 or null");
        return float(cfg[key].get<double>());
    };
    c.attnSoftcap = cap("attn_logit_softcapping", 50.0);
    c.finalSoftcap = cap("final_logit_softcapping", 30.0);
    c.localWindow = configInt(cfg, "sliding_window", cp, 4096);
    const int scalar = configInt(cfg, "query_pre_attn_scalar", cp, c.headDim);
    if (scalar <= 0) throw fileError(cp, "'query_pre_attn_scalar': expected a positive number");
    c.attentionScale = scalar == c.headDim ? 0.0f : 1.0f / std::sqrt(float(scalar));
    setGemma2Structure(c);
}

// config.json keys that change the computation: each is read, or checked to
// mean what the engine does; anything else would be run silently wrong.
void checkConfigSemantics(const nlohmann::json& cfg, const std::string& cp, const ModelConfig& c) {
    if (c.arch == Architecture::Gemma2) { // GeGLU; transformers reads hidden_activation first
        for (const char* key : {"hidden_activation", "hidden_act"})
            if (cfg.contains(key) && !cfg[key].is_null() && cfg[key] != "gelu_pytorch_tanh")
                throw fileError(cp, std::string("'") + key + "': '" + cfg[key].dump() + "' is not supported for gemma2, expected gelu_pytorch_tanh");
    } else {
        const std::string act = cfg.value("hidden_act", std::string("silu"));
        if (act != "silu") throw fileError(cp, "'hidden_act': '" + act + "' is not supported, expected silu (SwiGLU)");
    }
    if (cfg.value("mlp_bias", false)) throw fileError(cp, "'mlp_bias': true is not supported (no FFN biases in this engine)");
    if (c.arch == Architecture::Llama && cfg.value("attention_bias", false))
        throw fileError(cp, "'attention_bias': true is not supported for llama (attention biases are Qwen2's)");
    if (cfg.value("use_sliding_window", false) && cfg.contains("sliding_window") && cfg["sliding_window"].is_number_integer() &&
        cfg["sliding_window"].get<int64_t>() < c.contextLength)
        throw fileError(cp, "'use_sliding_window': sliding-window attention (window " + std::to_string(cfg["sliding_window"].get<int64_t>()) +
                                ") is not supported for " + c.archName);
    if (cfg.contains("partial_rotary_factor") && !(cfg["partial_rotary_factor"].is_number() && cfg["partial_rotary_factor"].get<double>() == 1.0))
        throw fileError(cp, "'partial_rotary_factor': " + cfg["partial_rotary_factor"].dump() + " is not supported (RoPE on the whole head only; Phi-4-mini's 0.75 is not)");
    if (cfg.contains("num_experts") || cfg.contains("num_local_experts"))
        throw fileError(cp, "mixture-of-experts models ('num_experts') are not supported");
}

// A RoPE divisor tensor the config implies (as llama.cpp's converter writes it).
struct RopeTensor {
    std::string name;
    std::vector<float> values;
};

// rope_scaling as llama.cpp's converter reads it: linear (factor), llama3
// (per-pair divisors, the rope_freqs tensor), yarn (factor, original context),
// longrope / su (Phi-3: rope_factors_long/short tensors and an attention factor).
// Another type, or a key that would change the computation unseen, is refused by name.
std::vector<RopeTensor> ropeScalingFromConfig(const nlohmann::json& cfg, const std::string& cp, ModelConfig& c) {
    if (!cfg.contains("rope_scaling") || cfg["rope_scaling"].is_null()) return {};
    const nlohmann::json& rs = cfg["rope_scaling"];
    if (!rs.is_object()) throw fileError(cp, "'rope_scaling': expected an object or null");
    const std::string type = rs.value("rope_type", rs.value("type", std::string()));
    auto number = [&](const char* key, double fallback) {
        if (!rs.contains(key)) return fallback;
        if (!rs[key].is_number()) throw fileError(cp, std::string("'rope_scaling.") + key + "': expected a number");
        return rs[key].get<double>();
    };
    const auto allowOnly = [&](std::initializer_list<const char*> keys) {
        for (const auto& item : rs.items()) {
            const std::string& key = item.key();
            if (key == "type" || key == "rope_type") continue;
            if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; }))
                throw fileError(cp, "'rope_scaling." + key + "': not supported with rope_type '" + type + "' (running without it would be silently wrong)");
        }
    };
    const double factor = number("factor", 0.0);
    const auto positiveFactor = [&] {
        if (!(factor > 0) || !std::isfinite(factor)) throw fileError(cp, "'rope_scaling.factor': expected a positive number for " + type + " scaling");
    };
    const auto originalContext = [&](bool topLevelToo) {
        const bool inside = rs.contains("original_max_position_embeddings");
        if (!inside && !(topLevelToo && cfg.contains("original_max_position_embeddings")))
            throw fileError(cp, "'rope_scaling.original_max_position_embeddings': missing (" + type + " scaling needs the original context)");
        const int v = inside ? configInt(rs, "original_max_position_embeddings", cp + ": rope_scaling") : configInt(cfg, "original_max_position_embeddings", cp);
        if (v <= 0) throw fileError(cp, "'original_max_position_embeddings': expected a positive context");
        return v;
    };
    if (type == "default") return {};
    if (type == "linear") {
        allowOnly({"factor"});
        positiveFactor();
        c.ropeFreqScale = float(1.0 / factor);
        return {};
    }
    if (type == "yarn") { // Qwen2.5 and others; llama.cpp's fixed betas, its magnitude 1 + 0.1 ln(factor)
        allowOnly({"factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "attention_factor", "truncate"});
        positiveFactor();
        if (number("beta_fast", kYarnBetaFast) != kYarnBetaFast || number("beta_slow", kYarnBetaSlow) != kYarnBetaSlow)
            throw fileError(cp, "'rope_scaling.beta_fast' / 'beta_slow': only llama.cpp's 32 / 1 are supported");
        if (rs.contains("truncate") && !(rs["truncate"].is_boolean() && rs["truncate"].get<bool>()))
            throw fileError(cp, "'rope_scaling.truncate': only true (whole correction dims, as llama.cpp) is supported");
        c.ropeYarn = true;
        c.ropeFreqScale = float(1.0 / factor);
        c.ropeOrigContext = rs.contains("original_max_position_embeddings") ? originalContext(false) : c.contextLength;
        // HF's attention_factor is the whole magnitude; ggml multiplies its own 1 + 0.1 ln(factor) in
        if (rs.contains("attention_factor")) {
            const double a = number("attention_factor", 1.0);
            if (!(a > 0)) throw fileError(cp, "'rope_scaling.attention_factor': expected a positive number");
            c.ropeAttnFactor = float(a / (1.0 + 0.1 * std::log(factor)));
        }
        return {};
    }
    if (type == "longrope" || type == "su") { // Phi-3 128k
        if (c.arch != Architecture::Phi3) throw fileError(cp, "'rope_scaling': longrope is supported for Phi-3 only");
        allowOnly({"long_factor", "short_factor", "original_max_position_embeddings", "attention_factor"});
        const int orig = originalContext(true);
        std::vector<RopeTensor> out;
        for (const char* which : {"long_factor", "short_factor"}) {
            const std::string name = std::string("'rope_scaling.") + which + "'";
            if (!rs.contains(which) || !rs[which].is_array() || rs[which].size() != size_t(c.headDim / 2))
                throw fileError(cp, name + ": expected an array of " + std::to_string(c.headDim / 2) + " numbers (head dim / 2)");
            RopeTensor t{which[0] == 'l' ? "rope_factors_long.weight" : "rope_factors_short.weight", {}};
            for (const auto& v : rs[which]) {
                if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) throw fileError(cp, name + ": expected positive numbers");
                t.values.push_back(v.get<float>());
            }
            out.push_back(std::move(t));
        }
        c.ropeOrigContext = orig;
        // llama.cpp's converter: sqrt(1 + ln(scale) / ln(original)) for a context scale above 1
        const double scale = double(c.contextLength) / double(orig);
        double attn = scale > 1.0 ? std::sqrt(1.0 + std::log(scale) / std::log(double(orig))) : 1.0;
        if (rs.contains("attention_factor")) attn = number("attention_factor", 1.0);
        if (!(attn > 0)) throw fileError(cp, "'rope_scaling.attention_factor': expected a positive number");
        c.ropeAttnFactor = float(attn);
        return out;
    }
    if (type != "llama3")
        throw fileError(cp, "'rope_scaling': type '" + type + "' is not supported (expected linear, llama3, yarn or longrope; running without it would be silently wrong)");
    allowOnly({"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"});
    positiveFactor();
    const double low = number("low_freq_factor", 1.0), high = number("high_freq_factor", 4.0);
    const double original = number("original_max_position_embeddings", 8192.0);
    if (!(high > low) || !(original > 0)) throw fileError(cp, "'rope_scaling': expected high_freq_factor > low_freq_factor and a positive original context");
    const double lowWavelen = original / low, highWavelen = original / high;
    RopeTensor factors{"rope_freqs.weight", {}};
    for (int i = 0; i < c.headDim; i += 2) {
        // freq as torch computes it in float32: 1 / base^(i / dim)
        const float freq = 1.0f / std::pow(c.ropeFreqBase, float(i) / float(c.headDim));
        const double wavelen = 2.0 * M_PI / double(freq);
        if (wavelen < highWavelen) factors.values.push_back(1.0f);
        else if (wavelen > lowWavelen) factors.values.push_back(float(factor));
        else {
            const double smooth = (original / wavelen - low) / (high - low);
            factors.values.push_back(float(1.0 / ((1.0 - smooth) / factor + smooth)));
        }
    }
    return {factors};
}

} // namespace

namespace {

std::unique_ptr<Model> loadHfDirectory(const std::string& dirPath, const LoadOptions& options) {
    const fs::path dir(dirPath);
    const fs::path configPath = dir / "config.json";
    if (!fs::exists(configPath)) throw fileError(dirPath, "config.json missing: expected an HF model directory");
    const nlohmann::json cfg = readJsonFile(configPath);
    const std::string cp = configPath.string();

    auto m = std::make_unique<Model>();
    m->path = dirPath;
    m->format = "safetensors";
    ModelConfig& c = m->config;
    const std::string modelType = cfg.value("model_type", "");
    if (modelType == "llama" || modelType == "mistral") c.arch = Architecture::Llama, c.archName = "llama";
    else if (modelType == "qwen2") c.arch = Architecture::Qwen2, c.archName = "qwen2";
    else if (modelType == "phi3") c.arch = Architecture::Phi3, c.archName = "phi3";
    else if (modelType == "gemma2") c.arch = Architecture::Gemma2, c.archName = "gemma2";
    else throw fileError(cp, "'model_type': unknown architecture '" + modelType + "', expected llama, mistral, qwen2, phi3 or gemma2");
    c.name = dir.filename().string();
    c.dim = configInt(cfg, "hidden_size", cp);
    c.nLayers = configInt(cfg, "num_hidden_layers", cp);
    c.nHeads = configInt(cfg, "num_attention_heads", cp);
    c.nKvHeads = configInt(cfg, "num_key_value_heads", cp, c.nHeads);
    c.ffnDim = configInt(cfg, "intermediate_size", cp);
    c.vocabSize = configInt(cfg, "vocab_size", cp);
    c.contextLength = configInt(cfg, "max_position_embeddings", cp, 2048);
    c.normEps = float(cfg.value("rms_norm_eps", 1e-6));
    c.ropeFreqBase = float(cfg.value("rope_theta", 10000.0));
    if (c.arch == Architecture::Gemma2) {
        readGemma2Config(cfg, cp, c); // head_dim its own
    } else {
        if (c.nHeads <= 0 || c.dim % c.nHeads != 0)
            throw fileError(cp, "'num_attention_heads' " + std::to_string(c.nHeads) + " does not divide 'hidden_size' " + std::to_string(c.dim));
        c.headDim = c.dim / c.nHeads;
    }
    if (cfg.contains("head_dim") && cfg["head_dim"].is_number_integer() && cfg["head_dim"].get<int64_t>() != c.headDim)
        throw fileError(cp, "'head_dim' " + std::to_string(cfg["head_dim"].get<int64_t>()) + " differs from hidden_size / num_attention_heads = " +
                                std::to_string(c.headDim) + " (not supported)");
    c.ropeDim = c.headDim;
    c.rope = c.arch == Architecture::Llama ? RopeLayout::Normal : RopeLayout::NeoX;
    if (c.arch == Architecture::Phi3) { // HF Phi-3: the window is always on; llama.cpp scales the query first
        c.queryPreScale = true;
        if (cfg.contains("sliding_window") && cfg["sliding_window"].is_number_integer()) c.slidingWindow = configInt(cfg, "sliding_window", cp);
    }
    checkConfigSemantics(cfg, cp, c);
    const std::vector<RopeTensor> ropeTensors = ropeScalingFromConfig(cfg, cp, c);

    std::set<std::string> seen;
    for (const fs::path& file : shardFiles(dir)) {
        auto st = SafetensorsFile::open(file.string());
        m->storage.push_back(st->mapping());
        m->fileBytes += st->mapping()->size();
        for (const StTensor& t : st->tensors()) {
            if (t.name.find("rotary_emb.inv_freq") != std::string::npos) continue; // derived, not a weight
            const bool isScale = t.name.size() > 13 && t.name.compare(t.name.size() - 13, 13, ".weight_scale") == 0;
            const std::string base = isScale ? ggufNameFromHf(t.name.substr(0, t.name.size() - 6), c.arch) : std::string();
            const std::string g = isScale ? (base.empty() ? std::string() : base + "_scale") : ggufNameFromHf(t.name, c.arch);
            if (g.empty()) throw fileError(file.string(), "tensor '" + t.name + "': not a Llama/Qwen2 weight we know how to map");
            if (!seen.insert(g).second) throw fileError(file.string(), "tensor '" + t.name + "': appears in more than one shard");
            Tensor out{g, ggmlFromDtype(t.dtype, file.string(), t.name), {}, t.data, t.bytes()};
            out.shape.assign(t.shape.rbegin(), t.shape.rend()); // HF [out, in] -> ggml [in, out]
            if (isScale) {
                if (out.type != GgmlType::F32) throw fileError(file.string(), "tensor '" + t.name + "': expected F32 scales");
                int64_t n = 1;
                for (int64_t d : t.shape) n *= d;
                out.shape = {n}; // [out, 1] -> one scale per row
            }
            const bool isQ = g.find(".attn_q.weight") != std::string::npos, isK = g.find(".attn_k.weight") != std::string::npos;
            if (c.arch == Architecture::Llama && (isQ || isK)) {
                // permute rows to GGUF's interleaved RoPE layout (llama.cpp's convert does the same)
                if (t.shape.empty() || t.shape[0] % c.headDim != 0)
                    throw fileError(file.string(), "tensor '" + t.name + "': expected 2 dims with rows a multiple of the head dim " +
                                                       std::to_string(c.headDim));
                const size_t rowBytesHf = size_t(t.bytes() / uint64_t(t.shape[0]));
                auto buf = std::make_shared<std::vector<uint8_t>>(t.bytes());
                for (int64_t r = 0; r < t.shape[0]; ++r)
                    std::memcpy(buf->data() + size_t(interleavedRow(r, c.headDim)) * rowBytesHf, t.data + size_t(r) * rowBytesHf, rowBytesHf);
                out.data = buf->data();
                m->storage.push_back(buf);
            }
            if (c.arch == Architecture::Gemma2 && g.ends_with("norm.weight")) {
                // Gemma's RMSNorm multiplies by (1 + w): as llama.cpp's converter, store 1 + w (F32)
                if (out.shape.size() != 1) throw fileError(file.string(), "tensor '" + t.name + "': expected a vector");
                const std::vector<uint8_t> raw(out.data, out.data + out.bytes); // aligned for the F32 read
                Tensor src = out;
                src.data = raw.data();
                auto buf = std::make_shared<std::vector<float>>(size_t(src.shape[0]));
                src.dequantizeRowTo(0, buf->data());
                for (float& w : *buf) w += 1.0f;
                out = Tensor{g, GgmlType::F32, src.shape, reinterpret_cast<const uint8_t*>(buf->data()), uint64_t(buf->size() * sizeof(float))};
                m->storage.push_back(buf);
            }
            if (out.type == GgmlType::F32 && reinterpret_cast<uintptr_t>(out.data) % alignof(float) != 0) { // keep floats aligned
                auto buf = std::make_shared<std::vector<uint8_t>>(out.data, out.data + out.bytes);
                out.data = buf->data();
                m->storage.push_back(buf);
            }
            m->tensors.push_back(out);
        }
    }
    for (const RopeTensor& r : ropeTensors) { // as llama.cpp's converter: Llama 3's and LongRoPE's divisors as tensors
        auto buf = std::make_shared<std::vector<float>>(r.values);
        m->tensors.push_back({r.name, GgmlType::F32, {int64_t(buf->size())}, reinterpret_cast<const uint8_t*>(buf->data()),
                              uint64_t(buf->size() * sizeof(float))});
        m->storage.push_back(buf);
    }
    // file order for info: embeddings, layers, then the head
    std::stable_sort(m->tensors.begin(), m->tensors.end(), [](const Tensor& a, const Tensor& b) {
        auto rank = [](const std::string& n) { return n == "token_embd.weight" ? 0 : n.rfind("blk.", 0) == 0 ? 1 : 2; };
        return rank(a.name) < rank(b.name);
    });
    const fs::path tokJson = dir / "tokenizer.json";
    if (fs::exists(tokJson)) m->vocab = vocabFromTokenizerJson(tokJson.string(), (dir / "tokenizer_config.json").string());
    else if (!options.tokenizerPath.empty()) m->vocab = vocabFromTokenizerJson(options.tokenizerPath, "");
    if (options.vocabOnly) return m;
    bindWeights(*m);
    return m;
}

} // namespace

std::unique_ptr<Model> loadSafetensorsModel(const std::string& dirPath, const LoadOptions& options) {
    try {
        return loadHfDirectory(dirPath, options);
    } catch (const nlohmann::json::exception& e) { // a config value of the wrong JSON type
        throw fileError((fs::path(dirPath) / "config.json").string(), std::string("unexpected structure: ") + e.what());
    }
}

} // namespace qb
