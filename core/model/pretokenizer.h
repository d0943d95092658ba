#pragma once
// The regex pre-tokenizer of a byte-level BPE vocabulary: splits text into
// words before merges. Patterns are llama.cpp's (from each model's
// tokenizer.json), run by Qt's QRegularExpression (PCRE2, Unicode-aware).
#include <memory>
#include <string>
#include <vector>

namespace qb {

class Pretokenizer {
public:
    // `pre` is GGUF's tokenizer.ggml.pre ("gpt-2", "llama-bpe", "qwen2", ...).
    // Throws qb::Error for a name we do not know.
    explicit Pretokenizer(const std::string& pre);
    ~Pretokenizer();
    std::vector<std::string> split(const std::string& text) const;

    // The regex (PCRE syntax, as in tokenizer.json) for a known name.
    static std::string pattern(const std::string& pre);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace qb
