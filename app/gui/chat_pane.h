#pragma once
// One side of the chat: a variant's transcript as it streams, its statistics
// under each answer and its context meter. Owns the ChatWorker and its thread;
// the pane only reacts to the worker's queued signals.
#include "gui/chat_worker.h"

#include <QThread>
#include <QWidget>
#include <optional>
#include <vector>

class QLabel;
class QProgressBar;
class QTextBrowser;

class ChatPane : public QWidget {
    Q_OBJECT
public:
    explicit ChatPane(const QString& title, QWidget* parent = nullptr);
    ~ChatPane() override; // stops a running turn and waits for the worker

    void openVariant(const QString& name, const QString& path, const qb::RunOptions& run, const qb::ChatOptions& chat);
    void send(const QString& text, const qb::ChatOptions& settings);
    void regenerate(const qb::ChatOptions& settings);
    void edit(int messageIndex, const QString& text, const qb::ChatOptions& settings);
    void newChat();
    void stop();

    bool ready() const { return m_ready && !m_busy; }
    bool busy() const { return m_busy; }
    const QString& variantName() const { return m_name; }
    const QString& variantPath() const { return m_path; }
    QString transcriptText() const;
    // The reply being streamed (or the last one), piece by piece as the model produced it.
    const std::vector<std::string>& replyPieces() const { return m_pieces; }
    const nlohmann::json& lastStats() const { return m_stats; }
    const nlohmann::json& messages() const { return m_messages; }
    // Marks the reply's piece `index` (where it parts from the other pane's); nullopt clears.
    void markDivergence(std::optional<size_t> index);
    std::optional<size_t> divergence() const { return m_divergence; }

signals:
    void opened();
    void turnStarted();
    void turnFinished();
    void failed(const QString& message);
    void editRequested(int messageIndex, const QString& text);
    void memoryChanged(quint64 bytes);

private:
    void applySettings(const qb::ChatOptions& settings);
    void onOpened(const QString& device, bool usesTemplate, const QString& note, int capacity, quint64 memory);
    void onPiece(const QString& text);
    void onTurnFinished(const nlohmann::json& stats, const nlohmann::json& messages, int cached);
    void onFailed(const QString& message);
    void render();

    QString m_name, m_path;
    QLabel* m_header;
    QLabel* m_notice;
    QTextBrowser* m_transcript;
    QLabel* m_statsLabel;
    QProgressBar* m_context;
    QThread m_thread;
    ChatWorker* m_worker;
    bool m_ready = false, m_busy = false;
    int m_capacity = 0;
    QString m_pendingUser; // shown while the turn streams
    int m_editIndex = -1;  // the message being replaced, while an edit streams
    std::vector<std::string> m_pieces;
    nlohmann::json m_stats, m_messages = nlohmann::json::array();
    std::vector<nlohmann::json> m_turnStats; // under each answer, in order
    std::optional<size_t> m_divergence;
};
