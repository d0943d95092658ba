// llama2.c checkpoint (+ tokenizer .bin) -> Model. The checkpoint is a
// 7-int header then F32 arrays in a fixed order; weights are in the same
// interleaved-RoPE layout GGUF llama uses, so they are viewed in place.
#include "common/checked.h"
#include "common/error.h"
#include "common/mapped_file.h"
#include "model/loaders.h"

#include <cstring>
#include <filesystem>

namespace qb {

namespace {

struct Llama2cHeader {
    int32_t dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen;
};

std::shared_ptr<Vocab> readLlama2cTokenizer(const std::string& path, int vocabSize) {
    auto file = MappedFile::open(path);
    const uint8_t* p = file->data();
    const uint64_t size = file->size();
    uint64_t pos = 0;
    auto need = [&](uint64_t n, const std::string& field) {
        if (n > size - pos)
            throw fileError(path, field + ": truncated: needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos) +
                                      ", only " + std::to_string(size - pos) + " left");
    };
    auto v = std::make_shared<Vocab>();
    v->kind = TokenizerKind::Spm;
    v->model = "llama";
    need(4, "max_token_length");
    int32_t maxLen;
    std::memcpy(&maxLen, p, 4);
    pos += 4;
    if (maxLen <= 0) throw fileError(path, "max_token_length = " + std::to_string(maxLen) + ", expected a positive number");
    for (int i = 0; i < vocabSize; ++i) {
        const std::string field = "token " + std::to_string(i);
        need(8, field + " (score, length)");
        float score;
        int32_t len;
        std::memcpy(&score, p + pos, 4);
        std::memcpy(&len, p + pos + 4, 4);
        pos += 8;
        if (len < 0 || len > maxLen)
            throw fileError(path, field + ": length " + std::to_string(len) + ", expected 0.." + std::to_string(maxLen));
        need(uint64_t(len), field + " (text)");
        std::string text(reinterpret_cast<const char*>(p + pos), size_t(len));
        pos += uint64_t(len);
        TokenType type = TokenType::Normal;
        if (i == 0) { type = TokenType::Unknown; text = "<unk>"; }
        else if (i == 1) { type = TokenType::Control; text = "<s>"; }
        else if (i == 2) { type = TokenType::Control; text = "</s>"; }
        else if (text.size() == 6 && text.compare(0, 3, "<0x") == 0) type = TokenType::Byte;
        else {
            std::string escaped; // llama2.c stores spaces; SentencePiece pieces use U+2581
            for (char c : text) escaped += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
            text = escaped;
        }
        v->tokens.push_back(text);
        v->scores.push_back(score);
        v->types.push_back(type);
    }
    v->unk = 0;
    v->bos = 1;
    v->eos = 2;
    v->addBos = true;
    v->addSpacePrefix = true;
    v->finalize(path);
    return v;
}

} // namespace

std::unique_ptr<Model> loadLlama2cModel(const std::string& path, const LoadOptions& options) {
    return loadLlama2cModel(MappedFile::open(path), options);
}

std::unique_ptr<Model> loadLlama2cModel(std::shared_ptr<MappedFile> file, const LoadOptions& options) {
    const std::string path = file->path();
    if (file->size() < sizeof(Llama2cHeader))
        throw fileError(path, "not a GGUF file, a safetensors directory, or a llama2.c checkpoint: only " +
                                  std::to_string(file->size()) + " bytes, a llama2.c header needs 28");
    Llama2cHeader h;
    std::memcpy(&h, file->data(), sizeof h);
    const bool shared = h.vocabSize > 0;
    const int64_t vocab64 = magnitude(h.vocabSize); // INT32_MIN included (refused below)
    const std::pair<const char*, int64_t> fields[] = {{"dim", h.dim}, {"hidden_dim", h.hiddenDim}, {"n_layers", h.nLayers},
                                                      {"n_heads", h.nHeads}, {"n_kv_heads", h.nKvHeads}, {"vocab_size", vocab64},
                                                      {"seq_len", h.seqLen}};
    for (const auto& [name, value] : fields)
        if (value <= 0 || value > kMaxModelDim)
            throw fileError(path, std::string("llama2.c header: ") + name + " = " + std::to_string(value) +
                                      ", expected a positive size (is this a llama2.c checkpoint?)");
    const int vocab = int(vocab64); // within (0, 2^24] now
    if (h.dim % h.nHeads != 0 || h.nHeads % h.nKvHeads != 0)
        throw fileError(path, "llama2.c header: dim " + std::to_string(h.dim) + ", n_heads " + std::to_string(h.nHeads) +
                                  ", n_kv_heads " + std::to_string(h.nKvHeads) + ": expected dim % n_heads == 0 and n_heads % n_kv_heads == 0");

    auto m = std::make_unique<Model>();
    m->path = path;
    m->format = "llama2c";
    m->fileBytes = file->size();
    m->storage.push_back(file);
    ModelConfig& c = m->config;
    c.arch = Architecture::Llama;
    c.archName = "llama";
    c.name = std::filesystem::path(path).stem().string();
    c.dim = h.dim;
    c.ffnDim = h.hiddenDim;
    c.nLayers = h.nLayers;
    c.nHeads = h.nHeads;
    c.nKvHeads = h.nKvHeads;
    c.headDim = derivedHeadDim(h.dim, h.nHeads);
    c.ropeDim = c.headDim;
    c.vocabSize = vocab;
    c.contextLength = h.seqLen;
    c.normEps = 1e-5f;
    c.rope = RopeLayout::Normal;

    { // the whole layout from the header's sizes first: one check, before any per-layer work
        const std::string what = path + ": llama2.c weights";
        const uint64_t d = uint64_t(c.dim), kv = uint64_t(c.kvDim()), f = uint64_t(c.ffnDim), v = uint64_t(vocab);
        const uint64_t perLayer = checkedAdd(checkedAdd(2 * d, checkedMul(2 * d, d, what), what),
                                             checkedAdd(checkedMul(2 * d, kv, what), checkedMul(3 * d, f, what), what), what);
        uint64_t floats = checkedAdd(checkedMul(v, d, what), checkedMul(uint64_t(c.nLayers), perLayer, what), what);
        floats = checkedAdd(floats, d + uint64_t(h.seqLen) * uint64_t(c.headDim / 2) * 2 + (shared ? 0 : v * d), what);
        const uint64_t bytes = checkedMul(floats, 4, what);
        if (bytes > file->size() - sizeof(Llama2cHeader))
            throw fileError(path, "llama2.c weights: the header's sizes need " + std::to_string(bytes) + " bytes of weights after the " +
                                      std::to_string(sizeof(Llama2cHeader)) + "-byte header, the file has " +
                                      std::to_string(file->size() - sizeof(Llama2cHeader)));
    }
    // View the arrays in file order (the layout check above proved they all fit).
    uint64_t offset = sizeof(Llama2cHeader);
    auto take = [&](const std::string& name, std::vector<int64_t> shape) {
        uint64_t bytes = 4;
        for (int64_t d : shape) bytes *= uint64_t(d);
        Tensor t{name, GgmlType::F32, std::move(shape), file->data() + offset, bytes};
        offset += bytes;
        return t;
    };
    const int64_t dim = c.dim, kvDim = c.kvDim(), hidden = c.ffnDim, L = c.nLayers;
    const std::string b = "blk.";
    auto perLayer = [&](const std::string& suffix, std::vector<int64_t> shape) {
        std::vector<Tensor> ts;
        for (int64_t l = 0; l < L; ++l) ts.push_back(take(b + std::to_string(l) + "." + suffix, shape));
        return ts;
    };
    Tensor emb = take("token_embd.weight", {dim, vocab});
    auto attnNorm = perLayer("attn_norm.weight", {dim});
    auto wq = perLayer("attn_q.weight", {dim, dim});
    auto wk = perLayer("attn_k.weight", {dim, kvDim});
    auto wv = perLayer("attn_v.weight", {dim, kvDim});
    auto wo = perLayer("attn_output.weight", {dim, dim});
    auto ffnNorm = perLayer("ffn_norm.weight", {dim});
    auto w1 = perLayer("ffn_gate.weight", {dim, hidden});
    auto w2 = perLayer("ffn_down.weight", {hidden, dim});
    auto w3 = perLayer("ffn_up.weight", {dim, hidden});
    Tensor outNorm = take("output_norm.weight", {dim});
    take("freq_cis_real", {int64_t(h.seqLen), c.headDim / 2});
    take("freq_cis_imag", {int64_t(h.seqLen), c.headDim / 2});
    m->tensors.push_back(emb);
    for (int64_t l = 0; l < L; ++l)
        for (auto* group : {&attnNorm, &wq, &wk, &wv, &wo, &ffnNorm, &w1, &w2, &w3}) m->tensors.push_back((*group)[size_t(l)]);
    m->tensors.push_back(outNorm);
    if (!shared) m->tensors.push_back(take("output.weight", {dim, vocab}));

    std::string tok = options.tokenizerPath;
    if (tok.empty()) { // llama2.c's own conventions: tokenizer.bin, or tok<vocab>.bin beside the checkpoint
        const auto dir = std::filesystem::path(path).parent_path();
        for (const std::string& cand : {"tok" + std::to_string(vocab) + ".bin", std::string("tokenizer.bin")})
            if (std::filesystem::exists(dir / cand)) { tok = (dir / cand).string(); break; }
    }
    if (!tok.empty()) m->vocab = readLlama2cTokenizer(tok, vocab);
    bindWeights(*m);
    return m;
}

} // namespace qb
