#pragma once
// Text <-> token ids, reproducing llama.cpp's tokenizers: SentencePiece-style
// (score-ordered bigram merges with byte fallback) and byte-level BPE (rank-
// ordered merges after a regex pre-tokenizer). Special tokens are split out
// first, as llama.cpp's tokenizer_st_partition does.
#include "model/vocab.h"

#include <memory>
#include <string>
#include <vector>

namespace qb {

class Tokenizer {
public:
    explicit Tokenizer(std::shared_ptr<const Vocab> vocab);
    ~Tokenizer();

    // addSpecial: BOS/EOS as the vocabulary asks; parseSpecial: text such as
    // "<|im_start|>" becomes its control token instead of ordinary text.
    std::vector<int> encode(const std::string& text, bool addSpecial, bool parseSpecial) const;
    // The bytes of one token; control tokens are empty unless `special`.
    std::string piece(int id, bool special = false) const;
    // Concatenated pieces; for SentencePiece vocabularies one leading space
    // (the added space prefix) is dropped from the first non-empty piece.
    std::string decode(const std::vector<int>& ids, bool special = false) const;

    const Vocab& vocab() const { return *m_vocab; }

private:
    void encodeText(const std::string& text, std::vector<int>& out) const;
    void encodeSpm(const std::string& text, std::vector<int>& out) const;
    void encodeBpe(const std::string& text, std::vector<int>& out) const;

    std::shared_ptr<const Vocab> m_vocab;
    struct BpeState;
    std::unique_ptr<BpeState> m_bpe;
};

} // namespace qb
