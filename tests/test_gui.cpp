// The main window opens a model on its worker thread and shows its tensors.
#include "gui/main_window.h"
#include "gui/model_info_view.h"
#include "support/test_paths.h"

#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>

class TestGui : public QObject {
    Q_OBJECT
private slots:
    void opensAndShowsModel() {
        MainWindow w;
        w.show();
        QSignalSpy shown(&w, &MainWindow::modelShown);
        w.openModel(QString::fromStdString(qbtest::sharedPath("models/stories260K.gguf")));
        QVERIFY(shown.wait(10000));
        QCOMPARE(w.infoView()->tensorTable()->rowCount(), 48);
        QCOMPARE(w.infoView()->tensorTable()->item(0, 1)->text(), QString("token_embd.weight")); // file order
        QVERIFY(w.infoView()->summaryText().contains("5 layers"));
        QVERIFY(w.windowTitle().contains("stories260K"));
    }
    void reportsBadFile() {
        MainWindow w;
        QSignalSpy failed(&w, &MainWindow::loadFailed);
        const std::string dir = qbtest::scratchDir("gui_bad");
        qbtest::writeFile(dir + "/junk.gguf", "GGUF\x09");
        w.openModel(QString::fromStdString(dir + "/junk.gguf"));
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.first().first().toString().contains("junk.gguf"));
        QCOMPARE(w.infoView()->tensorTable()->rowCount(), 0);
    }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
