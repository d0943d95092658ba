#include "run/generate.h"

#include "common/error.h"

#include <chrono>

namespace qb {

size_t completeUtf8Prefix(const std::string& s) {
    // look back at most 3 bytes for a lead byte whose sequence is not finished
    const size_t n = s.size();
    for (size_t back = 1; back <= 4 && back <= n; ++back) {
        const unsigned char c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue; // continuation byte
        const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n; // only continuation bytes: invalid, pass them through
}

TextStream::TextStream(const Tokenizer& tokenizer, bool startsText)
    : m_tokenizer(tokenizer),
      m_strip(startsText && tokenizer.vocab().kind == TokenizerKind::Spm && tokenizer.vocab().addSpacePrefix) {}

std::string TextStream::push(int id) {
    std::string p = m_tokenizer.piece(id);
    if (p.empty()) return {};
    if (m_strip && p[0] == ' ') p.erase(0, 1);
    m_strip = false;
    m_pending += p;
    const size_t done = completeUtf8Prefix(m_pending);
    std::string out = m_pending.substr(0, done);
    m_pending.erase(0, done);
    return out;
}

std::string TextStream::flush() {
    std::string out;
    out.swap(m_pending);
    return out;
}

GenerateResult generate(ForwardPass& fwd, const Model& model, const std::vector<int>& prompt, int maxTokens, Sampler& sampler,
                        const std::function<void(const std::string&)>& onText, Job& job) {
    if (prompt.empty()) throw Error("generate: the prompt is empty and the model adds no BOS token; give a prompt");
    if (maxTokens < 0) throw Error("generate: expected a non-negative number of tokens");
    if (fwd.position() + int(prompt.size()) + maxTokens > fwd.capacity())
        throw Error("generate: " + std::to_string(prompt.size()) + " prompt tokens + " + std::to_string(maxTokens) +
                    " new ones exceed the context of " + std::to_string(fwd.capacity()));
    Tokenizer tok(model.vocab);
    TextStream stream(tok, tok.decode(prompt).empty());
    GenerateResult r;
    r.promptIds = prompt;
    std::vector<int> history = prompt;
    std::vector<float> logits;
    using Clock = std::chrono::steady_clock;
    job.begin("generate", maxTokens, "tokens");
    const auto t0 = Clock::now();
    fwd.forward(prompt.data(), int(prompt.size()), logits, false);
    const auto t1 = Clock::now();
    auto emit = [&](const std::string& text) {
        if (text.empty()) return;
        r.text += text;
        if (onText) onText(text);
    };
    for (int i = 0; i < maxTokens; ++i) {
        const int next = sampler.sample(logits.data(), model.config.vocabSize, history);
        if (model.vocab->isEndOfGeneration(next)) {
            r.endOfGeneration = true;
            break;
        }
        history.push_back(next);
        r.ids.push_back(next);
        emit(stream.push(next));
        job.step(i + 1);
        if (i + 1 < maxTokens) fwd.forward(&next, 1, logits, false);
    }
    emit(stream.flush());
    r.promptSeconds = std::chrono::duration<double>(t1 - t0).count();
    r.generateSeconds = std::chrono::duration<double>(Clock::now() - t1).count();
    return r;
}

} // namespace qb
