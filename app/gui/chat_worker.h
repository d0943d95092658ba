#pragma once
// One chat with one variant, on its own thread: loads the model, opens it on
// the chosen device and holds the ChatSession (its KV cache). The window sends
// turns through queued slots and gets the answer as it streams; stop() may be
// called from any thread. Two workers run two variants at once (A/B).
#include "chat/chat_session.h"
#include "gui/json_metatype.h"
#include "run/runner.h"

#include <QObject>
#include <QString>
#include <memory>

class ChatWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ChatWorker() override;
    void stop() { m_cancel.cancel(); }

public slots:
    void open(const QString& path, const qb::RunOptions& run, const qb::ChatOptions& chat);
    void send(const QString& text);
    void regenerate();
    void edit(int messageIndex, const QString& text);
    void reset();
    void setSampling(const qb::SamplerParams& sampling, int maxTokens, int contextPolicy);
    void setSystemPrompt(const QString& prompt);

signals:
    // device label, template in use (or why not), context capacity, device memory in use
    void opened(const QString& device, bool usesTemplate, const QString& templateNote, int capacity, quint64 memoryBytes);
    void turnStarted();
    void piece(const QString& text);
    // stats: TurnStats as JSON; messages: the conversation now ([{role, content}])
    void turnFinished(const nlohmann::json& stats, const nlohmann::json& messages, int cachedTokens);
    void failed(const QString& message);

private:
    template <typename F> void turn(F&& run);

    std::unique_ptr<qb::Model> m_model;
    std::unique_ptr<qb::Runner> m_runner;
    std::unique_ptr<qb::ChatSession> m_session;
    qb::CancelToken m_cancel;
};

Q_DECLARE_METATYPE(qb::RunOptions)
Q_DECLARE_METATYPE(qb::ChatOptions)
Q_DECLARE_METATYPE(qb::SamplerParams)
