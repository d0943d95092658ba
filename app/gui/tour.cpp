#include "gui/tour.h"

#include "gui/chat_pane.h"
#include "gui/chat_view.h"
#include "gui/compare_view.h"
#include "gui/main_window.h"
#include "gui/quantize_view.h"
#include "gui/variant_list.h"

#include <QDir>
#include <QTimer>
#include <cstdio>

Tour::Tour(MainWindow* window, const QString& outDir, QObject* parent) : QObject(parent), m_window(window), m_out(outDir) {}

void Tour::start(const QString& modelPath) {
    QDir().mkpath(m_out);
    connect(m_window, &MainWindow::modelShown, this, &Tour::afterModel, Qt::SingleShotConnection);
    connect(m_window, &MainWindow::loadFailed, this, &Tour::fail, Qt::SingleShotConnection);
    m_window->openModel(modelPath);
}

void Tour::snap(const QString& name) {
    const QString path = QDir(m_out).filePath(name + ".png");
    if (!m_window->grab().save(path)) return fail(path + ": cannot be written");
    std::printf("tour: %s\n", qPrintable(path));
    std::fflush(stdout);
}

void Tour::fail(const QString& why) {
    std::fprintf(stderr, "tour: %s\n", qPrintable(why));
    emit finished(1);
}

void Tour::afterModel() {
    snap("model");
    QuantizeView* q = m_window->quantizeView();
    q->setCheckedVariants({"Q8_0", "Q4_K_M", "Q4_0"});
    q->setEvaluationSize(256, 10, 64, 16, 1);
    if (!m_work.isValid()) return fail(tr("cannot create a temporary folder: %1").arg(m_work.errorString()));
    q->setOutputDir(m_work.path());
    m_window->showTab(MainWindow::QuantizeTab);
    connect(m_window, &MainWindow::sweepFinished, this, &Tour::afterSweep, Qt::SingleShotConnection);
    m_window->runSweep();
    // a picture while it runs: the second variant being made, the first done
    auto* poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [this, poll] {
        if (m_window->sweepRunning() && m_window->variants()->runningRow() >= 2) {
            poll->stop();
            snap("quantize");
        }
    });
    poll->start(50);
}

void Tour::afterSweep() {
    if (!QFile::exists(QDir(m_out).filePath("quantize.png"))) {
        m_window->showTab(MainWindow::QuantizeTab);
        snap("quantize");
    }
    m_window->showTab(MainWindow::CompareTab);
    m_window->compareView()->selectVariant("Q4_0");
    QTimer::singleShot(300, this, [this] {
        snap("compare");
        ChatView* chat = m_window->chatView();
        m_window->showTab(MainWindow::ChatTab);
        chat->setAb(true);
        chat->chooseVariants("source", "Q4_0");
        auto send = [this, chat] {
            if (!chat->paneA()->ready() || !chat->paneB()->ready()) return false;
            connect(chat->paneA(), &ChatPane::turnFinished, this, &Tour::afterChat);
            connect(chat->paneB(), &ChatPane::turnFinished, this, &Tour::afterChat);
            chat->sendPrompt("Once upon a time");
            return true;
        };
        auto* poll = new QTimer(this);
        connect(poll, &QTimer::timeout, this, [poll, send] { if (send()) poll->stop(); });
        poll->start(100);
    });
}

void Tour::afterChat() {
    if (++m_chatTurns < 2) return;
    QTimer::singleShot(200, this, [this] {
        snap("chat");
        emit finished(0);
    });
}
