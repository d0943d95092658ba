#pragma once
// The vocabulary a tokenizer works from: token texts, scores, types, merges
// and the special ids. Built from GGUF metadata, a llama2.c tokenizer file or
// an HF tokenizer.json; validated on construction (see validate()).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace qb {

// serialized: GGUF tokenizer.ggml.token_type values, never renumber.
enum class TokenType : int32_t { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

enum class TokenizerKind { Spm, Bpe };

struct Vocab {
    TokenizerKind kind = TokenizerKind::Spm;
    std::string model;   // "llama" or "gpt2" as GGUF names it
    std::string pre;     // BPE pre-tokenizer: "gpt-2", "llama-bpe", "qwen2", ...
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<TokenType> types;
    std::vector<std::string> merges; // "left right", rank = index
    int bos = -1, eos = -1, unk = -1, pad = -1, eot = -1;
    bool addBos = false, addEos = false, addSpacePrefix = true;
    std::string chatTemplate; // Jinja source (GGUF tokenizer.chat_template, HF chat_template); empty: plain completion

    // Derived by finalize(): lookups.
    std::unordered_map<std::string, int> tokenToId;
    std::unordered_map<std::string, int> mergeRank;
    std::vector<int> specialIds; // control / user-defined / unknown, longest text first

    int size() const { return int(tokens.size()); }
    int find(const std::string& text) const {
        auto it = tokenToId.find(text);
        return it == tokenToId.end() ? -1 : it->second;
    }
    TokenType type(int id) const { return types[size_t(id)]; }
    bool isEndOfGeneration(int id) const { return id == eos || id == eot; }

    // Checks sizes, special ids and byte-token texts; builds the lookups.
    // `source` names the file for error messages.
    void finalize(const std::string& source);
};

// Parses "<0xHH>" (exactly two hex digits); -1 when `text` is not that.
int parseByteToken(const std::string& text);

} // namespace qb
