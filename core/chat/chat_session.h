#pragma once
// A conversation with one model on one forward pass (its KV cache): each turn
// renders the conversation with the model's chat template (or a plain
// transcript for models without one), prefills only the tokens the cache
// does not already hold (rolling back to the common prefix after an edit or
// a regenerate), then streams the reply as UTF-8 pieces until an
// end-of-generation token, a stop string, the token limit, a full context or
// a cancel. One session is used from one thread at a time.
#include "model/forward.h"
#include "model/model.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "run/job.h"

#include <functional>
#include <string>
#include <vector>

namespace qb {

struct ChatMessage {
    std::string role;    // system | user | assistant
    std::string content;
};

enum class ContextPolicy {
    Stop,       // refuse the turn (or end the reply) with a message
    DropOldest, // drop the oldest turns, keeping the system prompt, until it fits
};

struct ChatOptions {
    std::string systemPrompt;
    std::string templateMode = "auto"; // auto: the model's template, else plain; none: plain transcript; custom: templateSource
    std::string templateSource;
    std::string now;                   // strftime_now's date (YYYY-MM-DD); empty = today
    SamplerParams sampling;
    int maxTokens = 256;
    std::vector<std::string> stopStrings;
    ContextPolicy contextPolicy = ContextPolicy::Stop;
};

struct TurnStats {
    int promptTokens = 0;    // the whole rendered conversation
    int evaluated = 0;       // prefilled this turn
    int reused = 0;          // already in the KV cache
    int generated = 0;
    int droppedMessages = 0; // ContextPolicy::DropOldest
    double ttftSeconds = 0;  // prefill + first token
    double tokensPerSecond = 0;
    std::string stopReason;  // end-of-generation | stop-string | max-tokens | context-full | cancelled
    std::string note;        // for people: why a turn stopped early, a template fallback
};

class ChatSession {
public:
    ChatSession(const Model& model, ForwardPass& forward, ChatOptions options);
    ~ChatSession();

    // Adds a user message and generates the reply (added as an assistant message).
    TurnStats send(const std::string& user, const std::function<void(const std::string&)>& onText = {}, const CancelToken* cancel = nullptr);
    // Drops the last reply and generates it again.
    TurnStats regenerate(const std::function<void(const std::string&)>& onText = {}, const CancelToken* cancel = nullptr);
    // Replaces user message `index` (into messages()), drops everything after it, replies again.
    TurnStats edit(size_t index, const std::string& user, const std::function<void(const std::string&)>& onText = {},
                   const CancelToken* cancel = nullptr);
    void reset(); // back to just the system prompt; the cache is rolled back lazily
    // Settings that may change between turns (the next turn uses them).
    void setSampling(const SamplerParams& sampling, int maxTokens, ContextPolicy policy);
    // Replaces (or with "" removes) the system prompt; the next turn re-evaluates from where the prompt differs.
    void setSystemPrompt(const std::string& prompt);

    const std::vector<ChatMessage>& messages() const { return m_messages; }
    const ChatOptions& options() const { return m_options; }
    bool usesTemplate() const { return !m_template.empty(); }
    const std::string& templateNote() const { return m_templateNote; }
    int cachedTokens() const { return int(m_cached.size()); }

private:
    std::string renderPrompt(TurnStats& stats);
    TurnStats reply(const std::function<void(const std::string&)>& onText, const CancelToken* cancel);

    const Model& m_model;
    ForwardPass& m_forward;
    std::unique_ptr<Tokenizer> m_tokenizer;
    ChatOptions m_options;
    std::string m_template; // empty: plain transcript
    std::string m_templateNote;
    std::vector<ChatMessage> m_messages;
    std::vector<int> m_cached; // the tokens the KV cache holds, positions 0..
    std::vector<float> m_logits;
};

// The longest suffix of `text` that is a proper prefix of one of `stops`
// (what must be held back until it can no longer become a stop string).
size_t stopStringHoldback(const std::string& text, const std::vector<std::string>& stops);

} // namespace qb
