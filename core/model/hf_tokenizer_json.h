#pragma once
// An HF tokenizer.json (+ tokenizer_config.json) as a Vocab:
//  - model.type "BPE" without byte_fallback: byte-level BPE; the pre-tokenizer
//    is recognised from its regex (gpt-2, llama-bpe, qwen2);
//  - model.type "BPE" with byte_fallback (Llama 2 style) or "Unigram":
//    SentencePiece-style, scores from the merge order or the unigram scores.
#include "model/vocab.h"

#include <memory>
#include <string>

namespace qb {

std::shared_ptr<Vocab> vocabFromTokenizerJson(const std::string& tokenizerJsonPath, const std::string& tokenizerConfigPath);
// The same from tokenizer.json's text already in memory; `name` is what errors call it.
std::shared_ptr<Vocab> vocabFromTokenizerJsonText(const std::string& name, const std::string& text, const std::string& tokenizerConfigPath = "");

} // namespace qb
