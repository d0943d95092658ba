// GGUF -> Model: hyper-parameters from "<arch>.*" metadata, vocabulary from
// "tokenizer.ggml.*", tensors straight from the memory map.
#include "common/checked.h"
#include "common/error.h"
#include "formats/gguf_reader.h"
#include "model/loaders.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

namespace qb {

std::shared_ptr<Vocab> vocabFromGguf(const GgufFile& g) {
    auto v = std::make_shared<Vocab>();
    v->model = g.getString("tokenizer.ggml.model");
    if (v->model == "llama") v->kind = TokenizerKind::Spm;
    else if (v->model == "gpt2") v->kind = TokenizerKind::Bpe;
    else throw Error(g.where("tokenizer.ggml.model") + ": unsupported tokenizer '" + v->model + "', expected llama or gpt2");
    v->pre = g.getString("tokenizer.ggml.pre", v->kind == TokenizerKind::Bpe ? "default" : "");
    v->tokens = g.getStringArray("tokenizer.ggml.tokens");
    if (g.has("tokenizer.ggml.scores")) v->scores = g.getFloatArray("tokenizer.ggml.scores");
    if (g.has("tokenizer.ggml.token_type"))
        for (int64_t t : g.getIntArray("tokenizer.ggml.token_type")) v->types.push_back(TokenType(int32_t(t)));
    if (g.has("tokenizer.ggml.merges")) v->merges = g.getStringArray("tokenizer.ggml.merges");
    const bool spm = v->kind == TokenizerKind::Spm;
    // Token ids: absent -> the tokenizer's default; 0xFFFFFFFF (or -1) means "none", as in llama.cpp.
    auto tokenId = [&](const std::string& key, int fallback) -> int {
        if (!g.has(key)) return fallback;
        const int64_t id = g.getInt(key);
        if (id == 0xFFFFFFFFll || id == -1) return -1;
        if (id < 0 || id > 0x7FFFFFFFll) throw Error(g.where(key) + ": " + std::to_string(id) + " is not a token id");
        return int(id);
    };
    v->bos = tokenId("tokenizer.ggml.bos_token_id", spm ? 1 : -1);
    v->eos = tokenId("tokenizer.ggml.eos_token_id", spm ? 2 : -1);
    v->unk = tokenId("tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
    v->pad = tokenId("tokenizer.ggml.padding_token_id", -1);
    v->eot = tokenId("tokenizer.ggml.eot_token_id", -1);
    // llama.cpp's defaults: SentencePiece and the Llama 3 pre-tokenizer add BOS.
    v->addBos = g.getBool("tokenizer.ggml.add_bos_token", spm || v->pre == "llama-bpe" || v->pre == "llama3");
    v->addEos = g.getBool("tokenizer.ggml.add_eos_token", false);
    v->addSpacePrefix = g.getBool("tokenizer.ggml.add_space_prefix", spm);
    v->chatTemplate = g.getString("tokenizer.chat_template", "");
    v->finalize(g.path());
    return v;
}

namespace {

// rope.scaling.type as llama.cpp reads it: none, linear (factor; the type
// llama.cpp assumes when only a factor is given), yarn (factor, original
// context), longrope (Phi-3: the rope_factors_long/short tensors, bound with
// the weights); Llama 3's divisors come as the rope_freqs tensor. The original
// context and the attention factor apply to every type. Anything else is
// refused by name: running without its scaling gives plausible, wrong numbers.
void readRopeScaling(const GgufFile& g, const std::string& a, ModelConfig& c) {
    if (g.has(a + "rope.scaling.original_context_length"))
        c.ropeOrigContext = checkedInt(g.getInt(a + "rope.scaling.original_context_length"), 1, kMaxContextClaim, g.where(a + "rope.scaling.original_context_length"));
    if (g.has(a + "rope.scaling.attn_factor")) {
        const double f = g.getFloat(a + "rope.scaling.attn_factor", 1.0);
        if (!(f > 0) || !std::isfinite(f)) throw Error(g.where(a + "rope.scaling.attn_factor") + ": expected a positive attention factor");
        c.ropeAttnFactor = float(f);
    }
    const bool hasFactor = g.has(a + "rope.scaling.factor");
    const std::string type = g.getString(a + "rope.scaling.type", hasFactor ? "linear" : "none");
    if (type == "longrope" && !g.findTensor("rope_factors_long.weight"))
        throw Error(g.where(a + "rope.scaling.type") + ": longrope, but the file has no rope_factors_long.weight / rope_factors_short.weight");
    if (type == "none" || type == "longrope") return; // llama.cpp: no frequency scale for either
    if (type != "linear" && type != "yarn")
        throw Error(g.where(a + "rope.scaling.type") + ": '" + type + "' RoPE scaling is not supported (expected none, linear, yarn or longrope; " +
                    "Llama 3's scaling comes as the rope_freqs tensor)");
    const double factor = g.getFloat(a + "rope.scaling.factor", 0.0);
    if (!(factor > 0) || !std::isfinite(factor))
        throw Error(g.where(a + "rope.scaling.factor") + ": expected a positive factor for " + type + " RoPE scaling");
    c.ropeFreqScale = float(1.0 / factor);
    c.ropeYarn = type == "yarn";
}

// Gemma 2 as llama.cpp runs it (llm_build_gemma2_iswa): embeddings x sqrt(dim), GeGLU, post-norms,
// soft-capped scores and logits, the query scaled before Q·K, a sliding window on even layers.
void readGemma2(const GgufFile& g, const std::string& a, ModelConfig& c) {
    const auto cap = [&](const std::string& key, double fallback) {
        const double v = g.getFloat(key, fallback);
        if (!(v >= 0) || !std::isfinite(v)) throw Error(g.where(key) + ": expected a soft-cap >= 0 (0 = none)");
        return float(v);
    };
    c.attnSoftcap = cap(a + "attn_logit_softcapping", 50.0); // llama.cpp's defaults for gemma2
    c.finalSoftcap = cap(a + "final_logit_softcapping", 30.0);
    c.localWindow = g.has(a + "attention.sliding_window") ? checkedInt(g.getInt(a + "attention.sliding_window"), 0, kMaxContextClaim, g.where(a + "attention.sliding_window")) : 4096;
    setGemma2Structure(c);
    // llama.cpp: the 27B model (46 layers) scales by 1/sqrt(dim / heads) (its query_pre_attn_scalar), the others by 1/sqrt(head dim)
    if (c.nLayers == 46 && c.nHeads > 0) c.attentionScale = 1.0f / std::sqrt(float(c.dim / c.nHeads));
}

// Every key under the architecture's prefix is one the engine reads, or one
// that is checked to mean what the engine does. An unknown one is refused by
// name: it may change the computation (a new scaling, experts, soft-capping).
void checkArchitectureKeys(const GgufFile& g, const std::string& a, const ModelConfig& c) {
    static const char* const used[] = {
        "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
        "attention.head_count_kv", "attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.dimension_count", "vocab_size",
        "rope.scaling.type", "rope.scaling.factor", "rope.scaling.original_context_length", "rope.scaling.attn_factor",
        // informational: what the model was trained with; no effect on the computation
        "rope.scaling.finetuned",
    };
    for (const auto& [key, value] : g.metadata()) {
        if (key.rfind(a, 0) != 0) continue;
        const std::string k = key.substr(a.size());
        if (std::find(std::begin(used), std::end(used), k) != std::end(used)) continue;
        if (k == "attention.key_length" || k == "attention.value_length") continue; // the head dimension (checked above)
        if (c.arch == Architecture::Gemma2 && (k == "attn_logit_softcapping" || k == "final_logit_softcapping" || k == "attention.sliding_window"))
            continue;
        if ((k == "expert_count" || k == "expert_used_count") && g.getInt(key) == 0) continue;
        // Phi-3 reads its window; elsewhere one that never binds is harmless
        if (k == "attention.sliding_window" && (c.arch == Architecture::Phi3 || g.getInt(key) >= c.contextLength)) continue;
        throw Error(g.where(key) + ": not supported by QuantBench's " + c.archName +
                    " engine (running without it could give wrong results silently)");
    }
}

} // namespace

std::unique_ptr<Model> loadGgufModel(const std::string& path, const LoadOptions& options) {
    return loadGgufModel(GgufFile::open(path), options);
}

std::unique_ptr<Model> loadGgufModel(std::shared_ptr<GgufFile> g, const LoadOptions& options) {
    const std::string path = g->path();
    auto m = std::make_unique<Model>();
    m->path = path;
    m->format = "gguf";
    m->fileBytes = g->fileBytes();
    m->storage.push_back(g->mapping());
    m->sourceMetadata = g->metadata();
    if (g->has("tokenizer.ggml.model")) m->vocab = vocabFromGguf(*g);
    for (const auto& ti : g->tensors()) m->tensors.push_back({ti.name, ti.type, ti.shape, ti.data, ti.bytes});
    if (options.vocabOnly || g->tensors().empty()) {
        if (!m->vocab) throw fileError(path, "has neither tensors nor a tokenizer (tokenizer.ggml.model)");
        m->config.vocabSize = m->vocab->size();
        if (g->has("general.architecture")) m->config.archName = g->getString("general.architecture");
        return m;
    }

    ModelConfig& c = m->config;
    c.archName = g->getString("general.architecture");
    c.arch = architectureFromName(c.archName, g->where("general.architecture"));
    c.name = g->getString("general.name", "");
    const std::string a = c.archName + ".";
    // sizes as ints within what a real model uses: a wrapped or absurd claim is refused by name
    const auto count = [&](const std::string& key, std::optional<int64_t> fallback, int64_t hi = kMaxModelDim) {
        if (fallback && !g->has(key)) return int(*fallback);
        return checkedInt(g->getInt(key), 0, hi, g->where(key));
    };
    c.dim = count(a + "embedding_length", {});
    c.nLayers = count(a + "block_count", {});
    c.ffnDim = count(a + "feed_forward_length", {});
    c.nHeads = count(a + "attention.head_count", {});
    c.nKvHeads = count(a + "attention.head_count_kv", c.nHeads);
    c.contextLength = count(a + "context_length", 2048, kMaxContextClaim);
    c.normEps = float(g->getFloat(a + "attention.layer_norm_rms_epsilon", 1e-5));
    c.ropeFreqBase = float(g->getFloat(a + "rope.freq_base", 10000.0));
    // the head dimension: attention.key_length where the file gives it (Gemma 2: heads x head dim need not be the width)
    c.headDim = count(a + "attention.key_length", derivedHeadDim(c.dim, c.nHeads));
    if (const int valueLength = count(a + "attention.value_length", c.headDim); valueLength != c.headDim)
        throw Error(g->where(a + "attention.value_length") + ": " + std::to_string(valueLength) + ", expected the key length " +
                    std::to_string(c.headDim) + " (different key and value head sizes are not supported)");
    c.ropeDim = count(a + "rope.dimension_count", c.headDim);
    if (c.ropeDim != c.headDim)
        throw Error(g->where(a + "rope.dimension_count") + ": " + std::to_string(c.ropeDim) +
                    ", expected the head dimension " + std::to_string(c.headDim) + " (partial RoPE is not supported)");
    c.rope = c.arch == Architecture::Llama ? RopeLayout::Normal : RopeLayout::NeoX;
    if (c.arch == Architecture::Phi3) {
        c.slidingWindow = count(a + "attention.sliding_window", 0, kMaxContextClaim);
        c.queryPreScale = true;
    }
    if (c.arch == Architecture::Gemma2) readGemma2(*g, a, c);
    readRopeScaling(*g, a, c);
    checkArchitectureKeys(*g, a, c);
    c.synthetic = g->getBool("general.synthetic", false);
    const GgufTensorInfo* emb = g->findTensor("token_embd.weight");
    c.vocabSize = count(a + "vocab_size", emb && emb->shape.size() == 2 ? std::min(emb->shape[1], kMaxModelDim) : (m->vocab ? m->vocab->size() : 0));
    bindWeights(*m);
    return m;
}

namespace {

// Tensors by name (GGUF refuses duplicate names; should two ever share one, the first is used).
class TensorIndex {
public:
    explicit TensorIndex(const std::vector<Tensor>& tensors) {
        for (const Tensor& t : tensors) m_byName.emplace(t.name, &t);
    }
    const Tensor* find(const std::string& name) const {
        const auto it = m_byName.find(name);
        return it == m_byName.end() ? nullptr : it->second;
    }

private:
    std::unordered_map<std::string, const Tensor*> m_byName;
};

// Per-channel types get their "<name>_scale" rows; W8A8 static weights their
// "<name>_input_scale". Both must be F32 of the right length.
void linkScales(Model& m, const TensorIndex& byName) {
    for (Tensor& t : m.tensors) {
        if (hasRowScale(t.type)) {
            const Tensor* s = byName.find(t.name + "_scale");
            if (!s) throw Error(m.path + ": tensor '" + t.name + "': type " + typeName(t.type) + " needs its scale tensor '" + t.name + "_scale'");
            if (s->type != GgmlType::F32 || s->elements() != t.rows())
                throw Error(m.path + ": tensor '" + s->name + "': expected F32 with " + std::to_string(t.rows()) + " values, got " +
                            typeName(s->type) + " with " + std::to_string(s->elements()));
            t.rowScale = reinterpret_cast<const float*>(s->data);
        }
        if (const Tensor* in = byName.find(t.name + "_input_scale")) {
            if (in->type != GgmlType::F32 || in->elements() != 1)
                throw Error(m.path + ": tensor '" + in->name + "': expected one F32 value");
            t.inputScale = reinterpret_cast<const float*>(in->data);
        }
    }
}

// A fused tensor (Phi-3's attn_qkv, its gate|up ffn_up) as views of its row
// blocks: no copy, and the quantizer still sees the one tensor of the file.
void splitRows(const Model& m, const Tensor& t, const std::vector<Tensor*>& parts, const std::vector<int64_t>& rows) {
    int64_t total = 0;
    for (int64_t r : rows) total += r;
    if (t.shape.size() != 2 || t.shape[1] != total)
        throw fileError(m.path, "tensor '" + t.name + "': expected " + std::to_string(total) + " rows (the fused parts), got shape " +
                                    (t.shape.size() == 2 ? std::to_string(t.shape[1]) + " rows" : std::to_string(t.shape.size()) + " dims"));
    const char* const names[] = {"q", "k", "v"};
    int64_t first = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        Tensor v = t;
        v.name = t.name + " (" + (parts.size() == 3 ? std::string(names[i]) + " rows" : i == 0 ? std::string("gate rows") : std::string("up rows")) + ")";
        v.shape = {t.shape[0], rows[i]};
        v.data = t.data + size_t(first) * t.rowStride();
        v.bytes = uint64_t(rows[i]) * t.rowStride();
        if (t.rowScale) v.rowScale = t.rowScale + first;
        *parts[i] = v;
        first += rows[i];
    }
}

// RoPE divisors (rope_freqs, rope_factors_long/short): F32, one positive finite value per rotated pair.
std::vector<float> ropeDivisors(const Model& m, const Tensor& t) {
    const int64_t pairs = m.config.headDim / 2;
    if (t.type != GgmlType::F32 || t.elements() != pairs)
        throw fileError(m.path, "tensor '" + t.name + "': expected F32 with " + std::to_string(pairs) + " values (head dim / 2), got " +
                                    typeName(t.type) + " with " + std::to_string(t.elements()));
    const float* f = reinterpret_cast<const float*>(t.data);
    std::vector<float> d(f, f + pairs);
    for (float x : d)
        if (!(x > 0) || !std::isfinite(x)) throw fileError(m.path, "tensor '" + t.name + "': expected positive finite divisors");
    return d;
}

} // namespace

void bindWeights(Model& m) {
    const TensorIndex byName(m.tensors); // one lookup per name: a file of many small tensors stays linear
    linkScales(m, byName);
    validateConfig(m); // before any product of the sizes (kv dim, fused rows) is formed
    ModelWeights& w = m.weights;
    // each layer is at least its two norms: a block_count the tensors cannot back is refused before allocating it
    if (uint64_t(std::max(0, m.config.nLayers)) > m.tensors.size() / 2 + 1)
        throw fileError(m.path, "block_count = " + std::to_string(m.config.nLayers) + ", but the file holds only " +
                                    std::to_string(m.tensors.size()) + " tensors (each layer needs several)");
    w.layers.assign(size_t(std::max(0, m.config.nLayers)), LayerWeights{});
    // a tensor the engine does not use is refused by name, not ignored
    const auto unused = [&](const Tensor& t) {
        return fileError(m.path, "tensor '" + t.name + "' is not used by QuantBench's " + m.config.archName +
                                     " engine (running without it could give wrong results silently)");
    };
    const auto isScaleOf = [&](const std::string& n) {
        for (const std::string suffix : {"_scale", "_input_scale"})
            if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
                const Tensor* base = byName.find(n.substr(0, n.size() - suffix.size()));
                if (base && (suffix == "_input_scale" || hasRowScale(base->type))) return true;
            }
        return false;
    };
    for (const Tensor& t : m.tensors) {
        const std::string& n = t.name;
        if (n == "token_embd.weight") { w.tokenEmbedding = t; continue; }
        if (n == "output_norm.weight") { w.outputNorm = t; continue; }
        if (n == "output.weight") { w.output = t; continue; }
        if (n == "rope_freqs.weight") { m.config.ropeFreqFactors = ropeDivisors(m, t); continue; } // Llama 3.1+
        if (m.config.arch == Architecture::Phi3 && n == "rope_factors_long.weight") { m.config.ropeFactorsLong = ropeDivisors(m, t); continue; }
        if (m.config.arch == Architecture::Phi3 && n == "rope_factors_short.weight") { m.config.ropeFactorsShort = ropeDivisors(m, t); continue; }
        if (isScaleOf(n)) continue;
        if (n.rfind("blk.", 0) != 0) throw unused(t);
        const size_t dot = n.find('.', 4);
        if (dot == std::string::npos) throw unused(t);
        int layer = -1;
        try { layer = std::stoi(n.substr(4, dot - 4)); } catch (...) { throw unused(t); }
        if (layer < 0 || layer >= m.config.nLayers)
            throw Error(m.path + ": tensor '" + n + "': layer " + std::to_string(layer) + " is outside block_count " +
                        std::to_string(m.config.nLayers));
        LayerWeights& L = w.layers[size_t(layer)];
        const std::string s = n.substr(dot + 1);
        if (s == "attn_norm.weight") L.attnNorm = t;
        else if (s == "attn_q.weight") L.wq = t;
        else if (s == "attn_k.weight") L.wk = t;
        else if (s == "attn_v.weight") L.wv = t;
        else if (s == "attn_output.weight") L.wo = t;
        else if (s == "attn_q.bias") L.bq = t;
        else if (s == "attn_k.bias") L.bk = t;
        else if (s == "attn_v.bias") L.bv = t;
        else if (s == "ffn_norm.weight") L.ffnNorm = t;
        else if (s == "ffn_gate.weight") L.wGate = t;
        else if (s == "ffn_down.weight") L.wDown = t;
        else if (s == "ffn_up.weight" && m.config.arch == Architecture::Phi3) splitRows(m, t, {&L.wGate, &L.wUp}, {m.config.ffnDim, m.config.ffnDim});
        else if (s == "ffn_up.weight") L.wUp = t;
        else if (s == "post_attention_norm.weight" && m.config.postNorms) L.postAttnNorm = t;
        else if (s == "post_ffw_norm.weight" && m.config.postNorms) L.postFfnNorm = t;
        else if (s == "attn_qkv.weight") splitRows(m, t, {&L.wq, &L.wk, &L.wv}, {m.config.nHeads * m.config.headDim, m.config.kvDim(), m.config.kvDim()});
        else throw unused(t);
    }
    if (m.config.ropeFactorsLong.empty() != m.config.ropeFactorsShort.empty())
        throw fileError(m.path, std::string("LongRoPE needs both rope_factors_long.weight and rope_factors_short.weight; the file has only ") +
                                    (m.config.ropeFactorsLong.empty() ? "the short" : "the long") + " one");
    if (!w.output.present()) { // tied embeddings
        w.output = w.tokenEmbedding;
        w.output.name = "output.weight (tied to token_embd.weight)";
    }
    validateWeights(m);
}

} // namespace qb
