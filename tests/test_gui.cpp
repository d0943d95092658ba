// The workbench, driven as a person would, offscreen: a dropped model fills
// the Model view, a dropped bad file reports and the app lives, a two-variant
// sweep fills the charts and the table (and its predicted sizes are the files'
// sizes), a cancelled sweep leaves no partial file, results.json reopens,
// chat streams and stops, A/B fills both panes and marks where they part.
// The stall watchdog's longest event-loop stall is printed at the end; a
// stall over 2 s fails.
#include "gui/chat_pane.h"
#include "gui/chat_view.h"
#include "gui/compare_view.h"
#include "gui/heatmap_widget.h"
#include "gui/main_window.h"
#include "gui/model_info_view.h"
#include "gui/quantize_view.h"
#include "gui/stall_watchdog.h"
#include "gui/variant_list.h"
#include "support/chat_model.h"
#include "support/test_paths.h"
#include "vk/context.h"

#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QComboBox>
#include <QDropEvent>
#include <QLabel>
#include <QMimeData>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

// A wait in milliseconds, longer where the build runs slower (sanitizers: QUANTBENCH_TIME_SCALE).
int ms(int base) { return int(base * qbtest::timeScale()); }

QString stories() { return QString::fromStdString(qbtest::sharedPath("models/stories260K.gguf")); }

// what a file manager's drop delivers
void drop(QWidget* target, const QString& path) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent event(QPointF(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &event);
}

int barCount(QChart* chart) {
    for (QAbstractSeries* s : chart->series())
        if (auto* bars = qobject_cast<QBarSeries*>(s)) return bars->barSets().isEmpty() ? 0 : bars->barSets().first()->count();
    return 0;
}

bool waitForModel(MainWindow& w) {
    if (w.model()) return true;
    QSignalSpy shown(&w, &MainWindow::modelShown);
    return shown.wait(ms(20000));
}

void smallSweep(MainWindow& w, const QStringList& variants, const QString& out) {
    QuantizeView* q = w.quantizeView();
    q->setCheckedVariants(variants);
    q->setEvaluationSize(128, 4, 16, 8, 1);
    q->setTextPath(QString::fromStdString(qbtest::sharedPath("text/tinystories_val.txt")));
    q->setTasksPath(QString());
    q->setOutputDir(out);
}

} // namespace

class TestGui : public QObject {
    Q_OBJECT
    std::unique_ptr<MainWindow> m_w; // one window through the flow, as a person would use it
    QString m_sweepDir;
    double m_longestStall = 0;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // QSettings and data folders under ~/.qttest, not the user's
        qputenv("QUANTBENCH_VALIDATION", "1");    // every Vulkan context the workers open runs under the Khronos layer
        QSettings().clear();
        m_w = std::make_unique<MainWindow>();
        m_w->show();
        QSignalSpy devices(m_w.get(), &MainWindow::devicesListed);
        QVERIFY(devices.wait(ms(20000)));
        QVERIFY(m_w->devicePicker()->count() >= 2); // lavapipe + the CPU: a missing Vulkan device is a failure here
        QVERIFY(m_w->devicePicker()->currentData().toString().startsWith("vulkan"));
    }

    void droppedModelFillsTheModelView() {
        QSignalSpy shown(m_w.get(), &MainWindow::modelShown);
        drop(m_w.get(), stories());
        QVERIFY(shown.wait(ms(20000)));
        ModelInfoView* info = m_w->infoView();
        QCOMPARE(info->tensorTable()->rowCount(), 48);
        QCOMPARE(info->tensorTable()->item(0, 1)->text(), QString("token_embd.weight")); // file order
        QVERIFY(info->summaryText().contains("5 layers"));
        QVERIFY(info->summaryText().contains("SentencePiece, 512 tokens"));
        QVERIFY(info->summaryText().contains("no chat template"));
        QVERIFY(info->templateSample().contains("plain transcript"));
        QVERIFY(m_w->windowTitle().contains("stories260K"));
        // the source is the reference row, ready to chat with
        QCOMPARE(m_w->variants()->rowCount(), 1);
        QVERIFY(m_w->variants()->isDone(0));
        // predictions for every precision, and the device's memory judged
        QVERIFY(m_w->quantizeView()->predictedBytes("Q4_0") > 0);
        QVERIFY(m_w->quantizeView()->predictedBytes("Q4_0") < m_w->quantizeView()->predictedBytes("Q8_0"));
    }

    void cancelledLoadIsDropped() {
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::modelShown);
        other.openModel(stories());
        other.cancel();
        QTest::qWait(1500); // the load finishes on its thread; its result must not be shown
        QCOMPARE(shown.count(), 0);
        QVERIFY(other.model() == nullptr);
        QVERIFY(other.statusText().contains("cancelled"));
    }

    void precisionsThatDoNotFitAreMarked() {
        QuantizeView* q = m_w->quantizeView();
        QTableWidget* t = q->table();
        int q8 = -1, fits = -1;
        for (int r = 0; r < t->rowCount(); ++r)
            if (t->item(r, 0)->text() == "Q8_0") q8 = r;
        for (int c = 0; c < t->columnCount(); ++c)
            if (t->horizontalHeaderItem(c)->text() == "Fits") fits = c;
        QVERIFY(q8 >= 0 && fits >= 0);
        QCOMPARE(t->item(q8, fits)->text(), QString::fromUtf8("✓")); // 2 GB lavapipe heap
        DeviceChoice tiny{"vulkan:0", "a 1 MB device", 1000000, false};
        q->setDevice(tiny);
        QVERIFY(t->item(q8, fits)->text().contains(QString::fromUtf8("✗")));
        QVERIFY(t->item(q8, fits)->toolTip().contains("a 1 MB device"));
        m_w->devicePicker()->setCurrentIndex(1); // back to a real device through the picker
        m_w->devicePicker()->setCurrentIndex(0);
        QCOMPARE(t->item(q8, fits)->text(), QString::fromUtf8("✓"));
    }

    void chatModelShowsItsTemplateRendered() {
        MainWindow other;
        QSignalSpy shown(&other, &MainWindow::modelShown);
        other.openModel(QString::fromStdString(qbtest::chatMlStoriesCopy()));
        QVERIFY(shown.wait(ms(20000)));
        QVERIFY(other.infoView()->summaryText().contains("chat template present"));
        const QString sample = other.infoView()->templateSample();
        QVERIFY2(sample.contains("<|im_start|>user\nHello!<|im_end|>"), qPrintable(sample));
        QVERIFY(sample.endsWith("<|im_start|>assistant\n")); // the generation prompt
    }

    void droppedBadFileReportsAndTheAppLives() {
        const std::string dir = qbtest::scratchDir("gui_bad");
        qbtest::writeFile(dir + "/junk.gguf", "GGUF\x09");
        const std::string before = qbtest::readFile(dir + "/junk.gguf");
        QSignalSpy failed(m_w.get(), &MainWindow::loadFailed);
        drop(m_w.get(), QString::fromStdString(dir + "/junk.gguf"));
        QVERIFY(failed.wait(ms(10000)));
        const QString message = failed.first().first().toString();
        QVERIFY2(message.contains("junk.gguf"), qPrintable(message));
        QVERIFY(m_w->statusText().contains("junk.gguf"));
        QCOMPARE(qbtest::readFile(dir + "/junk.gguf"), before); // bad input is never modified
        // the model that was open stays open and usable
        QCOMPARE(m_w->infoView()->tensorTable()->rowCount(), 48);
        QVERIFY(m_w->model() != nullptr);
        // a results.json that is not one says why, too
        qbtest::writeFile(dir + "/results.json", "{\"schema_version\": 99}");
        QSignalSpy failed2(m_w.get(), &MainWindow::loadFailed);
        drop(m_w.get(), QString::fromStdString(dir + "/results.json"));
        QCOMPARE(failed2.count(), 1); // synchronous: a small file
        QVERIFY(failed2.first().first().toString().contains("results.json"));
    }

    void sweepFillsTheCharts() {
        QVERIFY(waitForModel(*m_w));
        m_sweepDir = QString::fromStdString(qbtest::scratchDir("gui_sweep"));
        smallSweep(*m_w, {"Q8_0", "Q4_0"}, m_sweepDir);
        QSignalSpy done(m_w.get(), &MainWindow::sweepFinished);
        QSignalSpy failed(m_w.get(), &MainWindow::sweepFailed);
        m_w->runSweep();
        QVERIFY(m_w->sweepRunning());
        QCOMPARE(m_w->variants()->rowCount(), 3); // reference + two queued rows at once
        QVERIFY(done.wait(ms(300000)));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        CompareView* c = m_w->compareView();
        QCOMPARE(c->variantPointCount(), 2);       // the two variants as points in the scatter
        QCOMPARE(barCount(c->speedChart()), 3);     // prefill/decode bars: reference + two
        QCOMPARE(c->table()->rowCount(), 3);
        QVERIFY(!c->frontier().isEmpty());
        for (const QString& metric : c->qualityMetrics()) { // every y axis draws (mc absent: no points, no crash)
            c->setQualityMetric(metric);
            QVERIFY(c->scatterChart()->series().size() >= 1 || metric == "mc_acc");
        }
        c->setQualityMetric("kld_mean");
        // the predicted size is the file's size, byte for byte
        for (const QString& name : {QString("Q8_0"), QString("Q4_0")}) {
            const int row = m_w->variants()->rowOf(name);
            QVERIFY(row > 0);
            const QString file = m_w->variants()->fileOf(row);
            QCOMPARE(qint64(fs::file_size(file.toStdString())), m_w->quantizeView()->predictedBytes(name));
        }
        // selecting a variant shows where its bits went
        c->selectVariant("Q4_0");
        QCOMPARE(c->selectedVariant(), QString("Q4_0"));
        QCOMPARE(c->heatmap()->rowLabels().size(), 6);           // 5 layers + the model row
        QVERIFY(c->heatmap()->cellCount() >= 5 * 7);             // q k v o gate up down in each layer
        QVERIFY(c->heatmap()->cellText(1, 0).contains("blk.0."));
        QCOMPARE(c->table()->selectionModel()->selectedRows().size(), 1);
        // exports
        const QString png = m_sweepDir + "/scatter.png", csv = m_sweepDir + "/table.csv";
        QVERIFY(c->saveScatterPng(png));
        QVERIFY(QImage(png).width() > 100);
        QString error;
        QVERIFY2(c->saveTableCsv(csv, &error), qPrintable(error));
        const QStringList lines = QString::fromStdString(qbtest::readFile(csv.toStdString())).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4);
        QVERIFY(lines[0].startsWith("Variant,Method,Bytes"));
        // the budget planner answers from the measured numbers
        m_w->quantizeView()->planBudget(0, 0, "chat");
        QVERIFY2(m_w->quantizeView()->recommendText().contains("Recommended"), qPrintable(m_w->quantizeView()->recommendText()));
        m_longestStall = std::max(m_longestStall, m_w->watchdog()->longestMs("sweep"));
    }

    void savedResultsReopenWithoutRecomputing() {
        MainWindow other;
        other.show();
        QSignalSpy shown(&other, &MainWindow::resultsShown);
        drop(&other, m_sweepDir + "/results.json");
        QCOMPARE(shown.count(), 1);
        QCOMPARE(other.compareView()->variantPointCount(), 2);
        QCOMPARE(other.compareView()->table()->rowCount(), 3);
        QCOMPARE(other.tabs()->currentIndex(), int(MainWindow::CompareTab));
    }

    void cancelledSweepLeavesNoPartialFile() {
        const QString dir = QString::fromStdString(qbtest::scratchDir("gui_sweep_cancel"));
        smallSweep(*m_w, {"Q6_K", "Q5_K_M", "Q3_K_M"}, dir);
        QSignalSpy done(m_w.get(), &MainWindow::sweepFinished);
        m_w->runSweep();
        QTRY_VERIFY_WITH_TIMEOUT(m_w->variants()->runningRow() >= 1, ms(60000)); // a variant is being made
        m_w->cancel();
        QVERIFY(done.wait(ms(60000)));
        QVERIFY(!m_w->sweepRunning());
        for (const auto& e : fs::directory_iterator(dir.toStdString()))
            QVERIFY2(e.path().extension() != ".part", e.path().c_str());
        bool cancelledRow = false;
        for (const auto& r : m_w->variants()->rows()) cancelledRow |= r.state == VariantList::State::Cancelled;
        QVERIFY(cancelledRow);
        m_longestStall = std::max(m_longestStall, m_w->watchdog()->longestMs("sweep"));
        // back to the finished sweep for the chat tests
        QSignalSpy shown(m_w.get(), &MainWindow::resultsShown);
        m_w->openResults(m_sweepDir + "/results.json");
        QCOMPARE(shown.count(), 1);
    }

    void chatStreamsAndStops() {
        ChatView* chat = m_w->chatView();
        m_w->showTab(MainWindow::ChatTab);
        chat->setAb(false);
        qb::ChatOptions s = chat->settings();
        s.sampling.temperature = 0;
        s.maxTokens = 400;
        chat->setSettings(s);
        chat->chooseVariants("source");
        ChatPane* a = chat->paneA();
        QTRY_VERIFY_WITH_TIMEOUT(a->ready(), ms(30000));
        QCOMPARE(a->variantName(), QString("source"));
        QSignalSpy finished(a, &ChatPane::turnFinished);
        chat->sendPrompt("Once upon a time");
        QVERIFY(a->busy());
        QTRY_VERIFY_WITH_TIMEOUT(a->replyPieces().size() >= 3, ms(30000)); // it streams
        chat->stop();
        QVERIFY(finished.wait(ms(30000)));
        QCOMPARE(QString::fromStdString(a->lastStats().value("stop_reason", std::string())), QString("cancelled"));
        QVERIFY(a->replyPieces().size() < 400);
        QVERIFY(a->transcriptText().contains("Once upon a time"));
        // regenerate: the last answer again, the conversation unchanged in length
        s.maxTokens = 12;
        chat->setSettings(s);
        chat->regenerate();
        QVERIFY(finished.wait(ms(30000)));
        QCOMPARE(a->messages().size(), size_t(2));
        QCOMPARE(a->lastStats().value("generated", 0), 12);
        // edit the first message: the session rolls back and answers the new text
        chat->beginEdit(0, "The dog");
        chat->sendPrompt("The dog");
        QVERIFY(finished.wait(ms(30000)));
        QCOMPARE(a->messages().size(), size_t(2));
        QCOMPARE(QString::fromStdString(a->messages()[0].value("content", std::string())), QString("The dog"));
        m_longestStall = std::max(m_longestStall, m_w->watchdog()->longestMs("chat"));
    }

    void abChatFillsBothPanesAndMarksWhereTheyPart() {
        ChatView* chat = m_w->chatView();
        qb::ChatOptions s = chat->settings();
        s.sampling.temperature = 0;
        s.maxTokens = 64;
        chat->setSettings(s);
        chat->setAb(true);
        chat->chooseVariants("source", "Q4_0");
        QTRY_VERIFY_WITH_TIMEOUT(chat->paneA()->ready() && chat->paneB()->ready(), ms(30000));
        QCOMPARE(chat->paneB()->variantName(), QString("Q4_0"));
        QSignalSpy aDone(chat->paneA(), &ChatPane::turnFinished), bDone(chat->paneB(), &ChatPane::turnFinished);
        chat->sendPrompt("Once upon a time");
        QVERIFY(chat->paneA()->busy() && chat->paneB()->busy()); // both at once
        QTRY_VERIFY_WITH_TIMEOUT(aDone.count() == 1 && bDone.count() == 1, ms(60000));
        QVERIFY(!chat->paneA()->replyPieces().empty());
        QVERIFY(!chat->paneB()->replyPieces().empty());
        // greedy: stories260K and its Q4_0 part somewhere within 64 tokens (they did at token 24 when written)
        QVERIFY(chat->paneA()->divergence().has_value());
        QCOMPARE(chat->paneA()->divergence(), chat->paneB()->divergence());
        const size_t at = *chat->paneA()->divergence();
        for (size_t i = 0; i < at; ++i) QCOMPARE(chat->paneA()->replyPieces()[i], chat->paneB()->replyPieces()[i]);
        QVERIFY(chat->divergenceLabel()->text().contains(QString("token %1").arg(at + 1)));
        m_longestStall = std::max(m_longestStall, m_w->watchdog()->longestMs("chat"));
    }

    void closingWhileAJobRunsCancelsAndWaits() {
        auto w = std::make_unique<MainWindow>();
        w->show();
        QSignalSpy shown(w.get(), &MainWindow::modelShown);
        w->openModel(stories());
        QVERIFY(shown.wait(ms(20000)));
        smallSweep(*w, {"Q6_K", "Q5_K_M"}, QString::fromStdString(qbtest::scratchDir("gui_close")));
        w->runSweep();
        QTRY_VERIFY_WITH_TIMEOUT(w->variants()->runningRow() >= 0, ms(20000));
        QElapsedTimer t;
        t.start();
        w->close();
        w.reset(); // joins the workers
        QVERIFY(t.elapsed() < 30000 * qbtest::timeScale());
    }

    void cleanupTestCase() {
        const QString report = m_w->watchdog()->report();
        std::printf("GUI stall watchdog: longest event-loop stall %s (sweep and chat phases: %.1f ms)\n", qPrintable(report), m_longestStall);
        QVERIFY2(m_longestStall < 2000 * qbtest::timeScale(), qPrintable(report));
        m_w.reset();
        QCOMPARE(qb::vk::Context::processValidationErrors(), 0);
    }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
