// Writes the fuzzers' seed corpus: small files (a few KB at most), one per
// thing a reader handles, so each fuzz execution is cheap and mutations land in
// headers rather than in tensor bytes.
//   fuzz_make_seeds DIR   -> DIR/<target>/<seed>
// scripts/fuzz.sh seeds regenerates tests/fuzz/corpus/ with it. Everything here
// is our own: nothing from ../shared is copied into the repository.
#include "quant/ggml_type.h"
#include "support/raw_gguf.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace qbtest;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
    const fs::path dir = g_root / target;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// --- GGUF -------------------------------------------------------------------

const std::vector<std::string> kSpmTokens = {"<unk>", "<s>", "</s>", "<0x0A>", "\xE2\x96\x81" "a", "\xE2\x96\x81" "b", "a", "b"};

void spmVocab(RawGguf& g) {
    g.kvString("tokenizer.ggml.model", "llama");
    g.kvStrings("tokenizer.ggml.tokens", kSpmTokens);
    g.kvF32s("tokenizer.ggml.scores", {0, 0, 0, 0, -1, -2, -3, -4});
    g.kvI32s("tokenizer.ggml.token_type", {2, 3, 3, 6, 1, 1, 1, 1});
}

// A byte-level BPE vocabulary ("Hello world" and its pieces) with merges.
void bpeVocab(RawGguf& g, const std::string& pre) {
    const std::vector<std::string> tokens = {"H", "e", "l", "o", "\xC4\xA0", "w", "r", "d", "1", "2", "'", "s",
                                             "He", "ll", "llo", "Hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "ld", "\xC4\xA0world", "<|begin|>", "<|end|>"};
    std::vector<int32_t> types(tokens.size(), 1);
    types[types.size() - 2] = types.back() = 3;
    g.kvString("tokenizer.ggml.model", "gpt2");
    g.kvString("tokenizer.ggml.pre", pre);
    g.kvStrings("tokenizer.ggml.tokens", tokens);
    g.kvI32s("tokenizer.ggml.token_type", types);
    g.kvStrings("tokenizer.ggml.merges", {"H e", "l l", "ll o", "He llo", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "l d", "\xC4\xA0wor ld"});
    g.kvU32("tokenizer.ggml.bos_token_id", uint32_t(tokens.size() - 2));
    g.kvU32("tokenizer.ggml.eos_token_id", uint32_t(tokens.size() - 1));
}

void ggufSeeds() {
    const std::string t = "fuzz_gguf";
    { RawGguf g; g.header(3, 0, 0); put(t, "header-only.gguf", g.bytes); }
    { RawGguf g; g.header(3, 0, 5); spmVocab(g); g.kvString("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
      put(t, "vocab-only-spm.gguf", g.bytes); }
    for (const char* pre : {"llama-bpe", "qwen2", "gpt-2"}) {
        RawGguf g; g.header(3, 0, 7); bpeVocab(g, pre); put(t, std::string("vocab-only-bpe-") + pre + ".gguf", g.bytes);
    }
    { // every metadata value type once, arrays nested
        RawGguf g; g.header(3, 0, 13);
        for (uint32_t type = 0; type <= 12; ++type) {
            g.str("k" + std::to_string(type)); g.u32(type);
            switch (type) {
            case 0: case 1: case 7: g.u8(1); break;
            case 2: case 3: g.u8(1); g.u8(0); break;
            case 4: case 5: g.u32(7); break;
            case 6: g.f32(0.5f); break;
            case 8: g.str("text"); break;
            case 9: g.u32(9); g.u64(1); g.u32(4); g.u64(2); g.u32(1); g.u32(2); break; // [[1, 2]]
            case 10: case 11: g.u64(7); break;
            case 12: { double d = 0.25; g.bytes.append(reinterpret_cast<const char*>(&d), 8); } break;
            }
        }
        put(t, "every-value-type.gguf", g.bytes);
    }
    // One tensor of every type the reader knows, at its smallest (one block), with a vocabulary.
    for (uint32_t id = 0; id < 256; ++id) {
        const auto tt = qb::typeTraits(id);
        if (!tt) continue;
        const uint64_t cols = uint64_t(tt->blockElements == 1 ? 32 : tt->blockElements);
        const uint64_t bytes = cols / uint64_t(tt->blockElements) * uint64_t(tt->blockBytes);
        RawGguf g; g.header(3, 1, 6);
        g.kvString("general.architecture", "llama");
        g.kvU32("general.alignment", 32);
        spmVocab(g);
        g.tensorInfo("token_embd.weight", {cols, 1}, id, 0);
        g.pad(32);
        for (uint64_t k = 0; k < bytes; ++k) g.u8(uint8_t(k * 37 + id));
        put(t, "tensor-" + lower(tt->name) + ".gguf", g.bytes);
    }
    // Whole tiny models (dim 32, one layer) in the types whose blocks fit a 32-wide row.
    for (uint32_t id : {0u, 1u, 2u, 3u, 6u, 7u, 8u, 30u}) {
        TinyModelSpec s;
        s.matrixType = id;
        put(t, "tiny-llama-" + lower(qb::typeTraits(id)->name) + ".gguf", buildTinyModel(s));
    }
    // variants, in Q4_0 to stay small
    { TinyModelSpec s; s.matrixType = 2; s.architecture = "qwen2"; put(t, "tiny-qwen2-missing-bias.gguf", buildTinyModel(s)); }
    { TinyModelSpec s; s.matrixType = 2; s.architecture = "phi3"; put(t, "tiny-phi3-unfused.gguf", buildTinyModel(s)); }
    { TinyModelSpec s; s.matrixType = 2; s.version = 2; put(t, "tiny-v2.gguf", buildTinyModel(s)); }
    { TinyModelSpec s; s.matrixType = 2; s.alignment = {{4u, 64}}; put(t, "tiny-align-64.gguf", buildTinyModel(s)); }
}

// --- safetensors --------------------------------------------------------------

std::string safetensors(const std::string& header, size_t dataBytes) {
    const uint64_t n = header.size();
    std::string b(reinterpret_cast<const char*>(&n), 8);
    b += header;
    for (size_t k = 0; k < dataBytes; ++k) b += char(k * 13);
    return b;
}

void safetensorsSeeds() {
    const std::string t = "fuzz_safetensors";
    const std::pair<const char*, int> dtypes[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F8_E4M3", 1}, {"F64", 8}, {"I64", 8},
                                                  {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}};
    for (const auto& [name, bytes] : dtypes) {
        const int n = 4 * 2 * bytes;
        put(t, lower(name) + ".safetensors",
            safetensors(std::string(R"({"model.layers.0.mlp.up_proj.weight":{"dtype":")") + name + R"(","shape":[4,2],"data_offsets":[0,)" +
                            std::to_string(n) + "]}}",
                        size_t(n)));
    }
    put(t, "metadata-and-two.safetensors",
        safetensors(R"({"__metadata__":{"format":"pt"},"model.norm.weight":{"dtype":"F32","shape":[8],"data_offsets":[0,32]},)"
                    R"("lm_head.weight":{"dtype":"BF16","shape":[2,8],"data_offsets":[32,64]},)"
                    R"("model.layers.0.self_attn.q_proj.weight_scale":{"dtype":"F32","shape":[2,1],"data_offsets":[64,72]}})",
                    72));
    put(t, "scalar-and-empty.safetensors",
        safetensors(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[0,3],"data_offsets":[4,4]}})", 4));
    put(t, "empty-header.safetensors", safetensors("{}", 0));
}

// --- llama2.c -------------------------------------------------------------------

void llama2cSeeds() {
    const std::string t = "fuzz_llama2c";
    for (int shared : {1, -1}) {
        const int32_t dim = 8, hidden = 16, layers = 1, heads = 2, kvHeads = 1, vocab = 8, seq = 4;
        const int32_t h[7] = {dim, hidden, layers, heads, kvHeads, shared * vocab, seq};
        std::string b(reinterpret_cast<const char*>(h), 28);
        const int kvDim = dim / heads * kvHeads, headDim = dim / heads;
        size_t floats = size_t(vocab * dim) + size_t(layers) * size_t(dim + dim * dim + 2 * dim * kvDim + dim * dim + dim + 3 * dim * hidden) +
                        size_t(dim) + size_t(2 * seq * headDim / 2) + (shared < 0 ? size_t(vocab * dim) : 0);
        for (size_t k = 0; k < floats; ++k) {
            const float f = float(int(k % 17) - 8) / 16.0f;
            b.append(reinterpret_cast<const char*>(&f), 4);
        }
        put(t, shared > 0 ? "tiny-shared.bin" : "tiny-unshared.bin", b);
    }
}

// --- tokenizer.json -----------------------------------------------------------

void tokenizerJsonSeeds() {
    const std::string t = "fuzz_tokenizer_json";
    put(t, "bpe-byte-level.json", R"({"version": "1.0", "added_tokens": [{"id": 22, "content": "<|end|>", "special": true}],
 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
   {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
 "model": {"type": "BPE", "byte_fallback": false, "vocab": {"H": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "w": 5, "r": 6, "d": 7, "1": 8, "2": 9, "'": 10, "s": 11,
   "He": 12, "ll": 13, "llo": 14, "Hello": 15, "\u0120w": 16, "or": 17, "\u0120wor": 18, "ld": 19, "\u0120world": 20, "3": 21},
   "merges": ["H e", "l l", "ll o", "He llo", "\u0120 w", "o r", "\u0120w or", "l d", "\u0120wor ld"]}})");
    put(t, "bpe-qwen2-pair-merges.json", R"({"added_tokens": [{"id": 6, "content": "<|im_end|>", "special": true}, {"id": 7, "content": "<tool>", "special": false}],
 "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4, "1": 5}, "merges": [["a", "b"], ["\u0120", "ab"]], "unk_token": null}})");
    put(t, "bpe-byte-fallback.json", R"({"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
 "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0x48>": 4, "\u2581": 5, "H": 6, "e": 7, "He": 8, "\u2581He": 9},
   "merges": ["H e", "\u2581 He"]}})");
    put(t, "unigram.json", R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0], ["\u2581He", -1.5], ["llo", -2.0], ["\u2581", -3.0], ["H", -4.0], ["e", -4.0], ["l", -4.0], ["o", -4.0]]},
 "added_tokens": [{"id": 1, "content": "<s>", "special": true}]})");
}

// --- chat templates ---------------------------------------------------------------
// Written here to exercise the parser's statements, tests and filters (the real
// templates in ../shared are added as seeds by scripts/fuzz.sh, not checked in).

void chatTemplateSeeds() {
    const std::string t = "fuzz_chat_template";
    put(t, "turns.jinja", "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] | trim + '<|end|>\\n' }}"
                          "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}");
    put(t, "system-first.jinja", "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
                                 "{% set system = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system = false %}{% endif %}"
                                 "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                                 "{{ raise_exception('roles must alternate') }}{% endif %}{% if loop.index0 == 0 and system != false %}"
                                 "{% set content = '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}"
                                 "{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
                                 "{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                                 "{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}");
    put(t, "namespace-macro.jinja", "{%- set ns = namespace(n=0, seen=[]) -%}{%- macro show(m, sep='|') -%}{{ m.role | upper }}{{ sep }}"
                                    "{{ m.content | replace('a', 'b') | length }}{%- endmacro -%}{%- for m in messages if m.role != 'system' -%}"
                                    "{%- set ns.n = ns.n + 1 -%}{{ show(m) }}{{ ';' if not loop.last }}{%- endfor -%}{{ ns.n }}"
                                    "{{ messages | map(attribute='role') | unique | list | join(',') }}{{ messages | tojson }}");
    put(t, "filters-tests.jinja", "{% set xs = [3, 1, 2] %}{{ xs | sort | reverse | first }}{{ xs | sum }}{{ (xs | max) is odd }}"
                                  "{{ 'Abc' | lower | title | center if false else 'x' }}{{ '%s-%d' | format('a', 2) }}{{ range(3) | list }}"
                                  "{{ {'b': 1, 'a': 2} | dictsort | first | last }}{{ none is none }}{{ 10 // 3 }}{{ 2 ** 3 }}{{ 7 % 4 }}"
                                  "{{ 'x' ~ 1 ~ true }}{{ 'a,b' .split(',') }}{{ strftime_now('%Y-%m-%d') }}{{ x | default('d') }}"
                                  "{% if 'a' in 'cat' and not false or none %}{{ 'yes' }}{% endif %}");
    put(t, "tools-loop-controls.jinja", "{%- for m in messages -%}{%- if loop.index > 3 -%}{%- break -%}{%- endif -%}"
                                        "{%- if m.content is string and m.content.startswith(' ') -%}{%- continue -%}{%- endif -%}"
                                        "{{ loop.index }}/{{ loop.length }}:{{ m['content'][:4] }}{{ m.content[::-1] }}"
                                        "{%- endfor -%}{%- filter upper -%}end{%- endfilter -%}{# a comment #}");
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR   (writes DIR/<fuzz target>/<seed files>)\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    ggufSeeds();
    safetensorsSeeds();
    llama2cSeeds();
    tokenizerJsonSeeds();
    chatTemplateSeeds();
    return 0;
}
