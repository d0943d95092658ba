#include "model/hf_names.h"

#include <utility>

namespace qb {

namespace {
const std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"self_attn.qkv_proj.weight", "attn_qkv.weight"}, // Phi-3
    {"mlp.gate_up_proj.weight", "ffn_up.weight"},     // Phi-3 (after up_proj: llama's ffn_up maps back to up_proj)
};
const std::pair<const char*, const char*> kGemma2LayerNames[] = { // looked up first for gemma2
    {"post_attention_layernorm.weight", "post_attention_norm.weight"},
    {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
    {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
};
const std::pair<const char*, const char*> kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};
} // namespace

std::string ggufNameFromHf(const std::string& hf, Architecture arch) {
    for (const auto& [h, g] : kGlobalNames)
        if (hf == h) return g;
    const std::string prefix = "model.layers.";
    if (hf.rfind(prefix, 0) != 0) return "";
    const size_t dot = hf.find('.', prefix.size());
    if (dot == std::string::npos) return "";
    const std::string layer = hf.substr(prefix.size(), dot - prefix.size());
    if (layer.empty() || layer.find_first_not_of("0123456789") != std::string::npos) return "";
    const std::string rest = hf.substr(dot + 1);
    if (arch == Architecture::Gemma2)
        for (const auto& [h, g] : kGemma2LayerNames)
            if (rest == h) return "blk." + layer + "." + g;
    for (const auto& [h, g] : kLayerNames)
        if (rest == h) return "blk." + layer + "." + g;
    return "";
}

std::string hfNameFromGguf(const std::string& gguf, Architecture arch) {
    for (const auto& [h, g] : kGlobalNames)
        if (gguf == g) return h;
    if (gguf.rfind("blk.", 0) != 0) return "";
    const size_t dot = gguf.find('.', 4);
    if (dot == std::string::npos) return "";
    const std::string rest = gguf.substr(dot + 1);
    const std::string layer = "model.layers." + gguf.substr(4, dot - 4) + ".";
    if (arch == Architecture::Phi3 && rest == "ffn_up.weight") return layer + "mlp.gate_up_proj.weight";
    if (arch == Architecture::Gemma2)
        for (const auto& [h, g] : kGemma2LayerNames)
            if (rest == g) return layer + h;
    for (const auto& [h, g] : kLayerNames)
        if (rest == g) return layer + h;
    return "";
}

} // namespace qb
