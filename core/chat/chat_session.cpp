#include "chat/chat_session.h"

#include "chat/chat_template.h"
#include "common/error.h"
#include "model/tokenizer.h"
#include "run/generate.h"

#include <chrono>

namespace qb {

namespace {

bool validUtf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

std::string tokenText(const Vocab& v, int id) { return id >= 0 && id < v.size() ? v.tokens[size_t(id)] : std::string(); }

} // namespace

size_t stopStringHoldback(const std::string& text, const std::vector<std::string>& stops) {
    size_t hold = 0;
    for (const std::string& s : stops)
        for (size_t len = std::min(s.size() - 1, text.size()); len > hold; --len)
            if (text.compare(text.size() - len, len, s, 0, len) == 0) {
                hold = len;
                break;
            }
    return hold;
}

ChatSession::ChatSession(const Model& model, ForwardPass& forward, ChatOptions options)
    : m_model(model), m_forward(forward), m_options(std::move(options)) {
    if (!model.vocab) throw fileError(model.path, "has no tokenizer to chat with");
    m_tokenizer = std::make_unique<Tokenizer>(model.vocab); // built once: BPE tokenizers hold compiled pre-tokenizer state
    if (m_options.maxTokens < 1) throw Error("chat: max tokens must be at least 1");
    for (const auto& s : m_options.stopStrings)
        if (s.empty()) throw Error("chat: an empty stop string, expected text");
    if (m_options.templateMode == "custom") {
        checkChatTemplate(m_options.templateSource);
        m_template = m_options.templateSource;
    } else if (m_options.templateMode == "auto") {
        m_template = model.vocab->chatTemplate;
        if (m_template.empty()) m_templateNote = "the model has no chat template: plain completion mode (the transcript is continued)";
        else {
            try {
                checkChatTemplate(m_template);
            } catch (const Error& e) {
                m_templateNote = std::string("the model's chat template cannot be read (") + e.what() + "): plain transcript instead";
                m_template.clear();
            }
        }
    } else if (m_options.templateMode != "none") {
        throw Error("chat: template mode '" + m_options.templateMode + "', expected auto, none or custom");
    }
    reset();
}

ChatSession::~ChatSession() = default;

void ChatSession::reset() {
    m_messages.clear();
    if (!m_options.systemPrompt.empty()) m_messages.push_back({"system", m_options.systemPrompt});
}

void ChatSession::setSampling(const SamplerParams& sampling, int maxTokens, ContextPolicy policy) {
    if (maxTokens < 1) throw Error("chat: max tokens must be at least 1");
    m_options.sampling = sampling;
    m_options.maxTokens = maxTokens;
    m_options.contextPolicy = policy;
}

void ChatSession::setSystemPrompt(const std::string& prompt) {
    const bool has = !m_messages.empty() && m_messages.front().role == "system";
    if (has && prompt.empty()) m_messages.erase(m_messages.begin());
    else if (has) m_messages.front().content = prompt;
    else if (!prompt.empty()) m_messages.insert(m_messages.begin(), {"system", prompt});
    m_options.systemPrompt = prompt;
}

std::string ChatSession::renderPrompt(TurnStats& stats) {
    if (!m_template.empty()) {
        nlohmann::ordered_json messages = nlohmann::ordered_json::array();
        for (const auto& m : m_messages) messages.push_back({{"role", m.role}, {"content", m.content}});
        ChatTemplateOptions o;
        o.addGenerationPrompt = true;
        o.bosToken = tokenText(*m_model.vocab, m_model.vocab->bos);
        o.eosToken = tokenText(*m_model.vocab, m_model.vocab->eos);
        o.now = m_options.now;
        try {
            return renderChatTemplate(m_template, messages, o);
        } catch (const ChatTemplateRaised&) {
            throw; // the template refuses this conversation (say, a system role): the turn says so
        } catch (const Error& e) {
            m_templateNote = std::string("the chat template failed (") + e.what() + "): plain transcript instead";
            stats.note = m_templateNote;
            m_template.clear();
        }
    }
    // plain transcript: the system prompt, then each message; a reply continues its prompt directly
    std::string text;
    for (const auto& m : m_messages) {
        if (m.role == "assistant") text += m.content;
        else text += (text.empty() ? "" : "\n") + m.content;
    }
    return text;
}

TurnStats ChatSession::send(const std::string& user, const std::function<void(const std::string&)>& onText, const CancelToken* cancel) {
    if (!validUtf8(user)) throw Error("chat: the message is not valid UTF-8");
    m_messages.push_back({"user", user});
    try {
        return reply(onText, cancel);
    } catch (...) {
        m_messages.pop_back(); // the session stays as it was
        throw;
    }
}

TurnStats ChatSession::regenerate(const std::function<void(const std::string&)>& onText, const CancelToken* cancel) {
    if (m_messages.empty() || m_messages.back().role != "assistant") throw Error("chat: there is no reply to regenerate");
    const ChatMessage last = m_messages.back();
    m_messages.pop_back();
    try {
        return reply(onText, cancel);
    } catch (...) {
        m_messages.push_back(last);
        throw;
    }
}

TurnStats ChatSession::edit(size_t index, const std::string& user, const std::function<void(const std::string&)>& onText,
                            const CancelToken* cancel) {
    if (index >= m_messages.size() || m_messages[index].role != "user")
        throw Error("chat: message " + std::to_string(index) + " is not a user message to edit");
    if (!validUtf8(user)) throw Error("chat: the message is not valid UTF-8");
    const auto saved = m_messages;
    m_messages.resize(index);
    m_messages.push_back({"user", user});
    try {
        return reply(onText, cancel);
    } catch (...) {
        m_messages = saved;
        throw;
    }
}

TurnStats ChatSession::reply(const std::function<void(const std::string&)>& onText, const CancelToken* cancel) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    TurnStats st;
    const Tokenizer& tok = *m_tokenizer;
    std::vector<int> prompt;
    while (true) {
        const std::string text = renderPrompt(st);
        const std::string bos = tokenText(*m_model.vocab, m_model.vocab->bos);
        // a template that writes BOS itself gets no second one
        const bool templateHasBos = !m_template.empty() && !bos.empty() && text.rfind(bos, 0) == 0;
        prompt = tok.encode(text, !templateHasBos, !m_template.empty());
        if (prompt.empty()) prompt.push_back(m_model.vocab->bos >= 0 ? m_model.vocab->bos : 0);
        if (int(prompt.size()) < m_forward.capacity()) break;
        // the conversation does not fit: drop the oldest turns (keeping the system prompt and this message), or stop
        size_t first = !m_messages.empty() && m_messages[0].role == "system" ? 1 : 0;
        if (m_options.contextPolicy == ContextPolicy::DropOldest && m_messages.size() > first + 1) {
            m_messages.erase(m_messages.begin() + long(first));
            ++st.droppedMessages;
            while (m_messages.size() > first + 1 && m_messages[first].role != "user") { // start on a user turn
                m_messages.erase(m_messages.begin() + long(first));
                ++st.droppedMessages;
            }
            continue;
        }
        st.promptTokens = int(prompt.size());
        st.stopReason = "context-full";
        st.note = "the conversation (" + std::to_string(prompt.size()) + " tokens) does not fit the context of " +
                  std::to_string(m_forward.capacity()) + " tokens: start a new chat, or choose \"drop oldest turns\"";
        m_messages.pop_back(); // the turn is refused; earlier turns stay
        return st;
    }
    st.promptTokens = int(prompt.size());
    // reuse the cache up to the common prefix (at least one token is run, for its logits)
    size_t common = 0;
    while (common < m_cached.size() && common < prompt.size() && m_cached[common] == prompt[common]) ++common;
    if (common == prompt.size()) --common;
    m_forward.rollback(int(common));
    m_cached.resize(common);
    st.reused = int(common);
    st.evaluated = int(prompt.size() - common);
    m_forward.forward(prompt.data() + common, int(prompt.size() - common), m_logits, false);
    m_cached = prompt;

    Sampler sampler(m_options.sampling);
    TextStream stream(tok, tok.decode(prompt).empty());
    std::string replyText, pending; // pending: complete UTF-8 not yet shown (could start a stop string)
    auto show = [&](const std::string& s) {
        if (s.empty()) return;
        replyText += s;
        if (onText) onText(s);
    };
    std::vector<int> history = prompt;
    const auto tFirst = Clock::now();
    Clock::time_point tFirstToken = tFirst;
    for (int i = 0; i < m_options.maxTokens; ++i) {
        if (cancel && cancel->cancelled()) {
            st.stopReason = "cancelled";
            break;
        }
        const int next = sampler.sample(m_logits.data(), m_model.config.vocabSize, history);
        if (i == 0) tFirstToken = Clock::now();
        if (m_model.vocab->isEndOfGeneration(next)) {
            st.stopReason = "end-of-generation";
            break;
        }
        history.push_back(next);
        ++st.generated;
        pending += stream.push(next);
        bool stopped = false;
        for (const auto& s : m_options.stopStrings) {
            const size_t at = pending.find(s);
            if (at != std::string::npos) {
                pending.resize(at);
                stopped = true;
            }
        }
        if (stopped) {
            show(pending);
            pending.clear();
            st.stopReason = "stop-string";
            break;
        }
        const size_t hold = stopStringHoldback(pending, m_options.stopStrings);
        show(pending.substr(0, pending.size() - hold));
        pending.erase(0, pending.size() - hold);
        if (int(m_cached.size()) >= m_forward.capacity()) {
            st.stopReason = "context-full";
            st.note = "the reply filled the context of " + std::to_string(m_forward.capacity()) + " tokens";
            break;
        }
        if (i + 1 == m_options.maxTokens) {
            st.stopReason = "max-tokens";
            break;
        }
        m_forward.forward(&next, 1, m_logits, false);
        m_cached.push_back(next);
    }
    if (st.stopReason != "stop-string") show(pending + stream.flush());
    const auto tEnd = Clock::now();
    st.ttftSeconds = std::chrono::duration<double>(tFirstToken - t0).count();
    const double decode = std::chrono::duration<double>(tEnd - tFirstToken).count();
    st.tokensPerSecond = decode > 0 && st.generated > 1 ? double(st.generated - 1) / decode : 0;
    if (st.stopReason.empty()) st.stopReason = "max-tokens";
    m_messages.push_back({"assistant", replyText});
    return st;
}

} // namespace qb
