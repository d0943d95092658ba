#include "gui/chat_pane.h"

#include "gui/format.h"

#include <QLabel>
#include <QProgressBar>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

ChatPane::ChatPane(const QString& title, QWidget* parent) : QWidget(parent) {
    m_header = new QLabel(title, this);
    m_header->setTextFormat(Qt::RichText);
    m_notice = new QLabel(this);
    m_notice->setWordWrap(true);
    m_notice->setStyleSheet("color: palette(link)");
    m_notice->hide();
    m_transcript = new QTextBrowser(this);
    m_transcript->setOpenLinks(false);
    m_transcript->setPlaceholderText(tr("Pick a variant, then type below."));
    m_statsLabel = new QLabel(this);
    m_context = new QProgressBar(this);
    m_context->setFormat(tr("context %v / %m tokens"));
    m_context->setRange(0, 1);
    m_context->setValue(0);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_header);
    layout->addWidget(m_notice);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_statsLabel);
    layout->addWidget(m_context);
    connect(m_transcript, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        if (url.scheme() != "edit" || m_busy) return;
        const int i = url.path().toInt();
        if (i >= 0 && i < int(m_messages.size())) emit editRequested(i, QString::fromStdString(m_messages[size_t(i)].value("content", std::string())));
    });

    m_worker = new ChatWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ChatWorker::opened, this, &ChatPane::onOpened, Qt::QueuedConnection);
    connect(m_worker, &ChatWorker::piece, this, &ChatPane::onPiece, Qt::QueuedConnection);
    connect(m_worker, &ChatWorker::turnFinished, this, &ChatPane::onTurnFinished, Qt::QueuedConnection);
    connect(m_worker, &ChatWorker::failed, this, &ChatPane::onFailed, Qt::QueuedConnection);
    m_thread.setObjectName("chat " + title);
    m_thread.start();
}

ChatPane::~ChatPane() {
    m_worker->stop();
    m_thread.quit();
    m_thread.wait();
}

void ChatPane::openVariant(const QString& name, const QString& path, const qb::RunOptions& run, const qb::ChatOptions& chat) {
    m_name = name;
    m_path = path;
    m_ready = false;
    m_messages = nlohmann::json::array();
    m_turnStats.clear();
    m_pieces.clear();
    m_divergence.reset();
    m_header->setText(tr("<b>%1</b> — opening…").arg(name.toHtmlEscaped()));
    render();
    QMetaObject::invokeMethod(m_worker, [w = m_worker, path, run, chat] { w->open(path, run, chat); }, Qt::QueuedConnection);
}

void ChatPane::applySettings(const qb::ChatOptions& s) {
    QMetaObject::invokeMethod(m_worker, [w = m_worker, s] {
        w->setSystemPrompt(QString::fromStdString(s.systemPrompt));
        w->setSampling(s.sampling, s.maxTokens, int(s.contextPolicy));
    }, Qt::QueuedConnection);
}

void ChatPane::send(const QString& text, const qb::ChatOptions& settings) {
    if (!ready()) return;
    applySettings(settings);
    m_busy = true;
    m_pendingUser = text;
    m_editIndex = -1;
    m_pieces.clear();
    m_divergence.reset();
    render();
    emit turnStarted();
    QMetaObject::invokeMethod(m_worker, [w = m_worker, text] { w->send(text); }, Qt::QueuedConnection);
}

void ChatPane::regenerate(const qb::ChatOptions& settings) {
    if (!ready() || m_messages.empty() || m_messages.back().value("role", std::string()) != "assistant") return;
    applySettings(settings);
    m_busy = true;
    m_messages.erase(m_messages.end() - 1); // shown without the old answer while the new one streams
    if (!m_turnStats.empty()) m_turnStats.pop_back();
    m_pendingUser.clear();
    m_pieces.clear();
    m_divergence.reset();
    render();
    emit turnStarted();
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->regenerate(); }, Qt::QueuedConnection);
}

void ChatPane::edit(int messageIndex, const QString& text, const qb::ChatOptions& settings) {
    if (!ready() || messageIndex < 0 || messageIndex >= int(m_messages.size())) return;
    applySettings(settings);
    m_busy = true;
    // what the session keeps: everything before the edited message; the answers' stats likewise
    int answersBefore = 0;
    for (int i = 0; i < messageIndex; ++i) answersBefore += m_messages[size_t(i)].value("role", std::string()) == "assistant";
    m_messages.erase(m_messages.begin() + messageIndex, m_messages.end());
    m_turnStats.resize(size_t(answersBefore));
    m_pendingUser = text;
    m_editIndex = messageIndex;
    m_pieces.clear();
    m_divergence.reset();
    render();
    emit turnStarted();
    QMetaObject::invokeMethod(m_worker, [w = m_worker, messageIndex, text] { w->edit(messageIndex, text); }, Qt::QueuedConnection);
}

void ChatPane::newChat() {
    if (m_busy) return;
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->reset(); }, Qt::QueuedConnection);
    m_messages = nlohmann::json::array();
    m_turnStats.clear();
    m_pieces.clear();
    m_divergence.reset();
    m_statsLabel->clear();
    render();
}

void ChatPane::stop() { m_worker->stop(); }

QString ChatPane::transcriptText() const { return m_transcript->toPlainText(); }

void ChatPane::markDivergence(std::optional<size_t> index) {
    m_divergence = index;
    render();
}

void ChatPane::onOpened(const QString& device, bool usesTemplate, const QString& note, int capacity, quint64 memory) {
    m_ready = true;
    m_capacity = capacity;
    m_header->setText(tr("<b>%1</b> — %2").arg(m_name.toHtmlEscaped(), device.toHtmlEscaped()));
    // without a template the note says so (plain completion), and why
    m_notice->setText(!note.isEmpty() ? note : usesTemplate ? QString() : tr("plain completion: no chat template"));
    m_notice->setVisible(!m_notice->text().isEmpty());
    m_context->setRange(0, capacity);
    m_context->setValue(0);
    emit memoryChanged(memory);
    emit opened();
}

void ChatPane::onPiece(const QString& text) {
    m_pieces.push_back(text.toStdString());
    QTextCursor c(m_transcript->document());
    c.movePosition(QTextCursor::End);
    c.insertText(text);
    m_transcript->ensureCursorVisible();
}

void ChatPane::onTurnFinished(const nlohmann::json& stats, const nlohmann::json& messages, int cached) {
    m_busy = false;
    m_stats = stats;
    m_messages = messages;
    m_turnStats.push_back(stats);
    m_pendingUser.clear();
    m_context->setValue(std::min(cached, m_capacity));
    const QString reason = QString::fromStdString(stats.value("stop_reason", std::string()));
    m_statsLabel->setText(tr("TTFT %1 s · %2 tok/s · %3 tokens · %4 reused, %5 evaluated · stopped: %6")
                              .arg(stats.value("ttft_seconds", 0.0), 0, 'f', 3)
                              .arg(stats.value("tokens_per_second", 0.0), 0, 'f', 1)
                              .arg(stats.value("generated", 0))
                              .arg(stats.value("reused", 0))
                              .arg(stats.value("evaluated", 0))
                              .arg(reason));
    const std::string note = stats.value("note", std::string());
    if (!note.empty()) {
        m_notice->setText(QString::fromStdString(note));
        m_notice->show();
    }
    render();
    emit turnFinished();
}

void ChatPane::onFailed(const QString& message) {
    const bool wasBusy = m_busy;
    m_busy = false;
    m_pendingUser.clear();
    m_notice->setText(message);
    m_notice->show();
    if (!m_ready) m_header->setText(tr("<b>%1</b> — could not open").arg(m_name.toHtmlEscaped()));
    render();
    emit failed(message);
    if (wasBusy) emit turnFinished();
}

void ChatPane::render() {
    QString html;
    const auto para = [](const QString& who, const QString& body) {
        return "<p><b>" + who + "</b><br>" + body.toHtmlEscaped().replace("\n", "<br>") + "</p>";
    };
    int answer = 0;
    const int lastAssistant = [&] {
        for (int i = int(m_messages.size()) - 1; i >= 0; --i)
            if (m_messages[size_t(i)].value("role", std::string()) == "assistant") return i;
        return -1;
    }();
    for (size_t i = 0; i < m_messages.size(); ++i) {
        const auto& m = m_messages[i];
        const QString role = QString::fromStdString(m.value("role", std::string()));
        const QString content = QString::fromStdString(m.value("content", std::string()));
        if (role == "user") {
            html += para(tr("You"), content);
            if (!m_busy) html += QString("<p align=right><a href=\"edit:%1\">%2</a></p>").arg(i).arg(tr("edit"));
        } else if (role == "assistant") {
            if (int(i) == lastAssistant && m_divergence && *m_divergence < m_pieces.size()) {
                // the answer as its pieces, the first one that differs from the other pane's marked
                QString body;
                for (size_t k = 0; k < m_pieces.size(); ++k) {
                    QString p = QString::fromStdString(m_pieces[k]).toHtmlEscaped().replace("\n", "<br>");
                    if (k == *m_divergence) p = "<span style=\"background-color:#f5c542;color:black\">" + p + "</span>";
                    body += p;
                }
                html += "<p><b>" + m_name.toHtmlEscaped() + "</b><br>" + body + "</p>";
            } else {
                html += para(m_name.toHtmlEscaped(), content);
            }
            if (answer < int(m_turnStats.size())) {
                const auto& s = m_turnStats[size_t(answer)];
                html += QString("<p style=\"color:gray\"><small>%1</small></p>")
                            .arg(tr("TTFT %1 s · %2 tok/s · %3 tokens")
                                     .arg(s.value("ttft_seconds", 0.0), 0, 'f', 3)
                                     .arg(s.value("tokens_per_second", 0.0), 0, 'f', 1)
                                     .arg(s.value("generated", 0)));
            }
            ++answer;
        } else if (role == "system") {
            html += QString("<p style=\"color:gray\"><i>%1</i></p>").arg(tr("System: %1").arg(content.toHtmlEscaped()));
        }
    }
    if (m_busy && !m_pendingUser.isEmpty()) html += para(tr("You"), m_pendingUser);
    if (m_busy) html += "<p><b>" + m_name.toHtmlEscaped() + "</b><br></p>";
    m_transcript->setHtml(html);
    if (m_busy) { // the streamed pieces go after the name
        QTextCursor c(m_transcript->document());
        c.movePosition(QTextCursor::End);
        for (const auto& p : m_pieces) c.insertText(QString::fromStdString(p));
    }
    m_transcript->moveCursor(QTextCursor::End);
}
