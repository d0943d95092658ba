#include "model/vocab.h"

#include "common/error.h"

#include <algorithm>

namespace qb {

int parseByteToken(const std::string& text) {
    if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>') return -1;
    int v = 0;
    for (int k = 3; k < 5; ++k) {
        const char c = text[size_t(k)];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

void Vocab::finalize(const std::string& source) {
    const size_t n = tokens.size();
    if (n == 0) throw Error(source + ": tokenizer: the token list is empty");
    if (scores.empty()) scores.assign(n, 0.0f);
    if (types.empty()) types.assign(n, TokenType::Normal);
    if (scores.size() != n)
        throw Error(source + ": tokenizer.ggml.scores: " + std::to_string(scores.size()) + " scores for " +
                    std::to_string(n) + " tokens, expected one per token");
    if (types.size() != n)
        throw Error(source + ": tokenizer.ggml.token_type: " + std::to_string(types.size()) + " types for " +
                    std::to_string(n) + " tokens, expected one per token");
    auto checkId = [&](int id, const char* what) {
        if (id < -1 || id >= int(n))
            throw Error(source + ": tokenizer.ggml." + what + ": id " + std::to_string(id) + " is outside the vocabulary (0.." +
                        std::to_string(n - 1) + ")");
    };
    checkId(bos, "bos_token_id");
    checkId(eos, "eos_token_id");
    checkId(unk, "unknown_token_id");
    checkId(pad, "padding_token_id");
    checkId(eot, "eot_token_id");
    if (addBos && bos < 0) throw Error(source + ": tokenizer.ggml.add_bos_token is true but no bos_token_id is set");

    tokenToId.clear();
    tokenToId.reserve(n);
    specialIds.clear();
    for (size_t i = 0; i < n; ++i) {
        const TokenType t = types[i];
        if (int32_t(t) < 0 || int32_t(t) > 6)
            throw Error(source + ": tokenizer.ggml.token_type[" + std::to_string(i) + "]: " + std::to_string(int32_t(t)) +
                        " is not a token type, expected 0..6");
        if (t == TokenType::Byte && parseByteToken(tokens[i]) < 0)
            throw Error(source + ": tokenizer.ggml.tokens[" + std::to_string(i) + "]: byte token text '" + tokens[i] +
                        "', expected <0xHH> with two hex digits");
        tokenToId.emplace(tokens[i], int(i)); // first occurrence wins, as in llama.cpp
        if (t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown) specialIds.push_back(int(i));
    }
    std::stable_sort(specialIds.begin(), specialIds.end(),
                     [&](int a, int b) { return tokens[size_t(a)].size() > tokens[size_t(b)].size(); });
    mergeRank.clear();
    mergeRank.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
        if (merges[i].find(' ', 1) == std::string::npos)
            throw Error(source + ": tokenizer.ggml.merges[" + std::to_string(i) + "]: '" + merges[i] +
                        "', expected two tokens separated by a space");
        mergeRank.emplace(merges[i], int(i));
    }
    if (kind == TokenizerKind::Bpe && merges.empty())
        throw Error(source + ": tokenizer.ggml.merges: missing or empty, a gpt2 (BPE) tokenizer needs its merges");
}

} // namespace qb
