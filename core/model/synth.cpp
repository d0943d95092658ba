#include "model/synth.h"

#include "common/error.h"
#include "formats/gguf_writer.h"
#include "model/model.h"
#include "model/model_metadata.h"
#include "quant/quantize.h"

#include <random>

namespace qb {

std::optional<SynthSpec> synthPreset(const std::string& name) {
    SynthSpec s;
    s.name = name;
    if (name == "llama-110m") { s.dim = 768; s.layers = 12; s.heads = 12; s.kvHeads = 12; s.ffn = 2048; return s; }
    if (name == "tinyllama-1.1b") { s.dim = 2048; s.layers = 22; s.heads = 32; s.kvHeads = 4; s.ffn = 5632; return s; }
    if (name == "llama-7b") { s.dim = 4096; s.layers = 32; s.heads = 32; s.kvHeads = 32; s.ffn = 11008; s.context = 4096; return s; }
    return std::nullopt;
}

void writeSyntheticModel(const SynthSpec& s, const std::shared_ptr<const Vocab>& vocab, const std::string& path,
                         const std::function<bool(int, int)>& progress) {
    if (s.arch != "llama" && s.arch != "qwen2") throw Error("synth: --arch '" + s.arch + "', expected llama or qwen2");
    if (s.dim <= 0 || s.layers <= 0 || s.heads <= 0 || s.kvHeads <= 0 || s.ffn <= 0 || s.dim % s.heads || s.heads % s.kvHeads)
        throw Error("synth: dim " + std::to_string(s.dim) + ", heads " + std::to_string(s.heads) + ", kv-heads " + std::to_string(s.kvHeads) +
                    ": expected positive sizes with dim % heads == 0 and heads % kv-heads == 0");
    if (!vocab) throw Error("synth: --vocab-from has no tokenizer");

    // Describe the model the way a loaded one is described, for the metadata.
    Model m;
    m.config.arch = architectureFromName(s.arch, "synth");
    m.config.archName = s.arch;
    m.config.name = (s.name.empty() ? s.arch : s.name) + " (synthetic weights)";
    m.config.dim = s.dim;
    m.config.nLayers = s.layers;
    m.config.nHeads = s.heads;
    m.config.nKvHeads = s.kvHeads;
    m.config.headDim = derivedHeadDim(s.dim, s.heads);
    m.config.ropeDim = m.config.headDim;
    m.config.ffnDim = s.ffn;
    m.config.vocabSize = vocab->size();
    m.config.contextLength = s.context;
    m.config.ropeFreqBase = s.arch == "qwen2" ? 1e6f : 10000.0f;
    m.config.synthetic = true;
    m.vocab = vocab;

    GgufWriter w;
    for (auto& [k, v] : ggufMetadataFor(m)) w.set(k, v);
    w.set("general.synthetic", GgufValue::boolean(true));
    w.set("general.file_type", GgufValue::u32(s.type == GgmlType::F32 ? 0 : s.type == GgmlType::F16 ? 1 : 7));

    const int64_t dim = s.dim, kv = int64_t(s.kvHeads) * (s.dim / s.heads), ffn = s.ffn, V = vocab->size();
    struct Spec { std::string name; std::vector<int64_t> shape; bool norm; };
    std::vector<Spec> tensors = {{"token_embd.weight", {dim, V}, false}};
    for (int l = 0; l < s.layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        tensors.push_back({p + "attn_norm.weight", {dim}, true});
        tensors.push_back({p + "attn_q.weight", {dim, dim}, false});
        tensors.push_back({p + "attn_k.weight", {dim, kv}, false});
        tensors.push_back({p + "attn_v.weight", {dim, kv}, false});
        if (s.arch == "qwen2") {
            tensors.push_back({p + "attn_q.bias", {dim}, true});
            tensors.push_back({p + "attn_k.bias", {kv}, true});
            tensors.push_back({p + "attn_v.bias", {kv}, true});
        }
        tensors.push_back({p + "attn_output.weight", {dim, dim}, false});
        tensors.push_back({p + "ffn_norm.weight", {dim}, true});
        tensors.push_back({p + "ffn_gate.weight", {dim, ffn}, false});
        tensors.push_back({p + "ffn_down.weight", {ffn, dim}, false});
        tensors.push_back({p + "ffn_up.weight", {dim, ffn}, false});
    }
    tensors.push_back({"output_norm.weight", {dim}, true});
    tensors.push_back({"output.weight", {dim, V}, false});

    const int total = int(tensors.size());
    for (int i = 0; i < total; ++i) {
        const Spec t = tensors[size_t(i)];
        const GgmlType type = t.norm ? GgmlType::F32 : s.type;
        if (!t.norm && t.shape[0] % traits(type).blockElements != 0)
            throw Error("synth: tensor '" + t.name + "' has rows of " + std::to_string(t.shape[0]) + ", not a multiple of the " +
                        typeName(type) + " block size");
        const uint64_t seed = s.seed * 1000003ull + uint64_t(i);
        w.addTensor({t.name, type, t.shape, [t, type, seed, i, total, &progress]() {
                         int64_t n = 1;
                         for (int64_t d : t.shape) n *= d;
                         std::mt19937_64 rng(seed);
                         std::normal_distribution<float> dist(0.0f, 0.02f);
                         const int64_t cols = t.shape[0];
                         std::vector<float> row(static_cast<size_t>(cols));
                         std::vector<uint8_t> bytes(rowBytes(type, n));
                         const size_t stride = rowBytes(type, cols);
                         for (int64_t r = 0; r < n / cols; ++r) {
                             for (auto& v : row) v = t.norm ? 1.0f + dist(rng) : dist(rng);
                             quantizeRow(type, row.data(), bytes.data() + size_t(r) * stride, cols);
                         }
                         if (progress && !progress(i + 1, total)) throw Error("synth: cancelled", ErrorKind::Cancelled);
                         return bytes;
                     }});
    }
    w.write(path);
}

} // namespace qb
