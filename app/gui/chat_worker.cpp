#include "gui/chat_worker.h"

#include "common/error.h"

ChatWorker::~ChatWorker() = default; // session before runner before model (member order)

void ChatWorker::open(const QString& path, const qb::RunOptions& run, const qb::ChatOptions& chat) {
    try {
        m_session.reset();
        m_runner.reset();
        m_model = qb::loadRunnableModel(path.toStdString());
        m_runner = qb::openRunner(*m_model, run);
        m_session = std::make_unique<qb::ChatSession>(*m_model, *m_runner->forward, chat);
        QString note = QString::fromStdString(m_session->templateNote());
        if (!m_runner->note.empty()) note += (note.isEmpty() ? "" : "; ") + QString::fromStdString(m_runner->note);
        emit opened(QString::fromStdString(m_runner->label), m_session->usesTemplate(), note, m_runner->forward->capacity(),
                    m_runner->forward->memoryUse().total());
    } catch (const std::exception& e) {
        m_session.reset();
        m_runner.reset();
        m_model.reset();
        emit failed(QString::fromUtf8(e.what()));
    }
}

template <typename F> void ChatWorker::turn(F&& run) {
    if (!m_session) {
        emit failed(tr("no model is open for this chat"));
        return;
    }
    m_cancel.clear();
    emit turnStarted();
    try {
        const auto onText = [this](const std::string& text) { emit piece(QString::fromStdString(text)); };
        const qb::TurnStats s = run(onText);
        nlohmann::json stats{{"prompt_tokens", s.promptTokens},   {"evaluated", s.evaluated},
                             {"reused", s.reused},                {"generated", s.generated},
                             {"dropped_messages", s.droppedMessages}, {"ttft_seconds", s.ttftSeconds},
                             {"tokens_per_second", s.tokensPerSecond}, {"stop_reason", s.stopReason},
                             {"note", s.note}};
        nlohmann::json messages = nlohmann::json::array();
        for (const auto& m : m_session->messages()) messages.push_back({{"role", m.role}, {"content", m.content}});
        emit turnFinished(stats, messages, m_session->cachedTokens());
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
    }
}

void ChatWorker::send(const QString& text) {
    turn([&](const auto& onText) { return m_session->send(text.toStdString(), onText, &m_cancel); });
}

void ChatWorker::regenerate() {
    turn([&](const auto& onText) { return m_session->regenerate(onText, &m_cancel); });
}

void ChatWorker::edit(int messageIndex, const QString& text) {
    turn([&](const auto& onText) { return m_session->edit(size_t(messageIndex), text.toStdString(), onText, &m_cancel); });
}

void ChatWorker::reset() {
    if (m_session) m_session->reset();
}

void ChatWorker::setSampling(const qb::SamplerParams& sampling, int maxTokens, int contextPolicy) {
    try {
        if (m_session) m_session->setSampling(sampling, maxTokens, qb::ContextPolicy(contextPolicy));
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
    }
}

void ChatWorker::setSystemPrompt(const QString& prompt) {
    if (m_session) m_session->setSystemPrompt(prompt.toStdString());
}
