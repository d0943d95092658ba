#pragma once
// Text generation on any forward pass: prefill the prompt, then sample one
// token at a time, streaming the text as it grows. TextStream turns token ids
// into UTF-8 pieces in O(1) work per token (never splitting a multi-byte
// character), exactly as Tokenizer::decode would join them.
#include "model/forward.h"
#include "model/model.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "run/job.h"

#include <functional>
#include <string>
#include <vector>

namespace qb {

class TextStream {
public:
    // `startsText`: nothing has been printed before (SentencePiece then drops
    // one leading space from the first non-empty piece, as decode does).
    explicit TextStream(const Tokenizer& tokenizer, bool startsText = true);
    // The text that is complete after token `id` (may be empty: bytes of an
    // unfinished UTF-8 character are held back).
    std::string push(int id);
    // Whatever is still held back (an incomplete character at the very end).
    std::string flush();

private:
    const Tokenizer& m_tokenizer;
    bool m_strip;
    std::string m_pending;
};

// Length of the longest prefix of `s` that does not end inside a UTF-8 character.
size_t completeUtf8Prefix(const std::string& s);

struct GenerateResult {
    std::vector<int> promptIds, ids; // ids: the generated tokens
    std::string text;                // the generated text (without the prompt)
    bool endOfGeneration = false;    // stopped by an end-of-generation token
    double promptSeconds = 0, generateSeconds = 0;
    double promptTokensPerSecond() const { return promptSeconds > 0 ? double(promptIds.size()) / promptSeconds : 0; }
    double tokensPerSecond() const { return generateSeconds > 0 ? double(ids.size()) / generateSeconds : 0; }
};

// Runs `prompt` (from the forward pass's current position) and samples up to
// `maxTokens`. `onText` receives each complete UTF-8 piece; cancel is checked
// between tokens (stage "generate", unit "tokens").
GenerateResult generate(ForwardPass& forward, const Model& model, const std::vector<int>& prompt, int maxTokens, Sampler& sampler,
                        const std::function<void(const std::string&)>& onText = {}, Job& job = noJob());

} // namespace qb
