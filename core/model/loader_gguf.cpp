// GGUF -> Model: hyper-parameters from "<arch>.*" metadata, vocabulary from
// "tokenizer.ggml.*", tensors straight from the memory map.
#include "common/error.h"
#include "formats/gguf_reader.h"
#include "model/loaders.h"

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

std::unique_ptr<Model> loadGgufModel(const std::string& path, const LoadOptions& options) {
    auto g = GgufFile::open(path);
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
    c.dim = int(g->getInt(a + "embedding_length"));
    c.nLayers = int(g->getInt(a + "block_count"));
    c.ffnDim = int(g->getInt(a + "feed_forward_length"));
    c.nHeads = int(g->getInt(a + "attention.head_count"));
    c.nKvHeads = int(g->getInt(a + "attention.head_count_kv", c.nHeads));
    c.contextLength = int(g->getInt(a + "context_length", 2048));
    c.normEps = float(g->getFloat(a + "attention.layer_norm_rms_epsilon", 1e-5));
    c.ropeFreqBase = float(g->getFloat(a + "rope.freq_base", 10000.0));
    c.headDim = c.nHeads > 0 ? c.dim / c.nHeads : 0;
    c.ropeDim = int(g->getInt(a + "rope.dimension_count", c.headDim));
    if (c.ropeDim != c.headDim)
        throw Error(g->where(a + "rope.dimension_count") + ": " + std::to_string(c.ropeDim) +
                    ", expected the head dimension " + std::to_string(c.headDim) + " (partial RoPE is not supported)");
    c.rope = c.arch == Architecture::Qwen2 ? RopeLayout::NeoX : RopeLayout::Normal;
    c.synthetic = g->getBool("general.synthetic", false);
    const GgufTensorInfo* emb = g->findTensor("token_embd.weight");
    c.vocabSize = int(g->getInt(a + "vocab_size", emb && emb->shape.size() == 2 ? emb->shape[1] : (m->vocab ? m->vocab->size() : 0)));
    bindWeights(*m);
    return m;
}

namespace {

// Per-channel types get their "<name>_scale" rows; W8A8 static weights their
// "<name>_input_scale". Both must be F32 of the right length.
void linkScales(Model& m) {
    auto find = [&](const std::string& name) -> const Tensor* {
        for (const Tensor& t : m.tensors)
            if (t.name == name) return &t;
        return nullptr;
    };
    for (Tensor& t : m.tensors) {
        if (hasRowScale(t.type)) {
            const Tensor* s = find(t.name + "_scale");
            if (!s) throw Error(m.path + ": tensor '" + t.name + "': type " + typeName(t.type) + " needs its scale tensor '" + t.name + "_scale'");
            if (s->type != GgmlType::F32 || s->elements() != t.rows())
                throw Error(m.path + ": tensor '" + s->name + "': expected F32 with " + std::to_string(t.rows()) + " values, got " +
                            typeName(s->type) + " with " + std::to_string(s->elements()));
            t.rowScale = reinterpret_cast<const float*>(s->data);
        }
        if (const Tensor* in = find(t.name + "_input_scale")) {
            if (in->type != GgmlType::F32 || in->elements() != 1)
                throw Error(m.path + ": tensor '" + in->name + "': expected one F32 value");
            t.inputScale = reinterpret_cast<const float*>(in->data);
        }
    }
}

} // namespace

void bindWeights(Model& m) {
    linkScales(m);
    ModelWeights& w = m.weights;
    w.layers.assign(size_t(std::max(0, m.config.nLayers)), LayerWeights{});
    for (const Tensor& t : m.tensors) {
        const std::string& n = t.name;
        if (n == "token_embd.weight") { w.tokenEmbedding = t; continue; }
        if (n == "output_norm.weight") { w.outputNorm = t; continue; }
        if (n == "output.weight") { w.output = t; continue; }
        if (n.rfind("blk.", 0) != 0) continue;
        const size_t dot = n.find('.', 4);
        if (dot == std::string::npos) continue;
        int layer = -1;
        try { layer = std::stoi(n.substr(4, dot - 4)); } catch (...) { continue; }
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
        else if (s == "ffn_up.weight") L.wUp = t;
    }
    if (!w.output.present()) { // tied embeddings
        w.output = w.tokenEmbedding;
        w.output.name = "output.weight (tied to token_embd.weight)";
    }
    validateWeights(m);
}

} // namespace qb
