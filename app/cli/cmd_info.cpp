// quantbench-cli info: what a model file holds.
#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "model/model.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

namespace {

std::string shapeText(const std::vector<int64_t>& s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) r += (i ? " x " : "") + std::to_string(s[i]);
    return r;
}

const char* tokenizerName(const qb::Vocab* v) {
    if (!v) return "none";
    return v->kind == qb::TokenizerKind::Spm ? "SentencePiece (llama)" : "byte-level BPE (gpt2)";
}

} // namespace

int cmdInfo(const Argv& argv) {
    Args args(argv, {"--json"}, {"--tokenizer"});
    if (args.positional().size() != 1) throw qb::Error("info: expected one MODEL path");
    qb::LoadOptions opts;
    opts.tokenizerPath = args.get("--tokenizer");
    const auto model = qb::loadModel(args.positional()[0], opts);
    const qb::ModelConfig& c = model->config;
    const int64_t params = model->parameterCount();
    const uint64_t weightBytes = model->weightBytes();
    const double bpw = params > 0 ? 8.0 * double(weightBytes) / double(params) : 0.0;

    if (args.flag("--json")) {
        nlohmann::json j;
        j["path"] = model->path;
        j["format"] = model->format;
        j["architecture"] = c.archName;
        j["name"] = c.name;
        j["synthetic"] = c.synthetic;
        j["n_layers"] = c.nLayers;
        j["n_embd"] = c.dim;
        j["n_head"] = c.nHeads;
        j["n_head_kv"] = c.nKvHeads;
        j["n_ff"] = c.ffnDim;
        j["head_dim"] = c.headDim;
        if (c.arch == qb::Architecture::Gemma2) {
            j["attn_logit_softcapping"] = c.attnSoftcap;
            j["final_logit_softcapping"] = c.finalSoftcap;
            j["sliding_window"] = c.localWindow;
        }
        j["n_vocab"] = c.vocabSize;
        j["n_ctx_train"] = c.contextLength;
        j["rope_freq_base"] = c.ropeFreqBase;
        j["rope_layout"] = c.rope == qb::RopeLayout::NeoX ? "neox" : "normal";
        j["norm_eps"] = c.normEps;
        j["tokenizer"] = model->vocab ? model->vocab->model : "none";
        j["tokenizer_pre"] = model->vocab ? model->vocab->pre : "";
        j["n_params"] = params;
        j["rope_scaling"] = qb::ropeScalingText(c);
        j["file_bytes"] = model->fileBytes;
        j["weight_bytes"] = weightBytes;
        j["bits_per_weight"] = bpw;
        j["tensors"] = nlohmann::json::array();
        for (const auto& t : model->tensors)
            j["tensors"].push_back({{"name", t.name}, {"type", qb::typeName(t.type)}, {"shape", t.shape}, {"bytes", t.bytes}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }

    std::printf("file:          %s (%s, %llu bytes)%s\n", model->path.c_str(), model->format.c_str(),
                (unsigned long long)model->fileBytes, c.synthetic ? "  [synthetic weights]" : "");
    std::printf("architecture:  %s%s%s\n", c.archName.c_str(), c.name.empty() ? "" : "  name: ", c.name.c_str());
    if (!model->tensors.empty()) {
        std::printf("layers:        %d   dim: %d   heads: %d   kv heads: %d   head dim: %d   ffn: %d\n", c.nLayers, c.dim, c.nHeads,
                    c.nKvHeads, c.headDim, c.ffnDim);
        std::printf("context:       %d   rope: %s, freq base %g, scaling %s   rms eps: %g\n", c.contextLength,
                    c.rope == qb::RopeLayout::NeoX ? "neox" : "normal", c.ropeFreqBase, qb::ropeScalingText(c).c_str(), c.normEps);
        if (c.arch == qb::Architecture::Gemma2)
            std::printf("gemma2:        GeGLU, post-norms, embeddings x %g, soft-caps: attention %g, final %g, window %d on even layers\n",
                        c.embeddingScale, c.attnSoftcap, c.finalSoftcap, c.localWindow);
    }
    std::printf("tokenizer:     %s, %d tokens%s%s\n", tokenizerName(model->vocab.get()), model->vocab ? model->vocab->size() : 0,
                model->vocab && !model->vocab->pre.empty() ? ", pre-tokenizer " : "", model->vocab ? model->vocab->pre.c_str() : "");
    if (!model->tensors.empty()) {
        std::printf("\n%-44s %-6s %-20s %12s\n", "tensor", "type", "shape", "bytes");
        for (const auto& t : model->tensors)
            std::printf("%-44s %-6s %-20s %12llu\n", t.name.c_str(), qb::typeName(t.type).c_str(), shapeText(t.shape).c_str(),
                        (unsigned long long)t.bytes);
        std::printf("\nparameters:    %lld   weight bytes: %llu   bits per weight: %.3f\n", (long long)params,
                    (unsigned long long)weightBytes, bpw);
    }
    return 0;
}

} // namespace qbcli
