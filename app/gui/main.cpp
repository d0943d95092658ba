// quantbench: the Qt Widgets workbench. Opens the model (or results.json)
// given on the command line, else $QUANTBENCH_SAMPLE_MODEL, else an empty
// window. `--screenshot FILE.png` saves the window once the model is shown,
// then quits; `--tour DIR` walks the user guide's flow and saves each view.
#include "gui/main_window.h"
#include "gui/tour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("QuantBench");
    QApplication::setOrganizationName("QuantBench");
    QApplication::setApplicationVersion(QUANTBENCH_VERSION);
    QApplication::setDesktopFileName("quantbench");
    QCommandLineParser parser;
    parser.setApplicationDescription("QuantBench: quantize, run and compare language models");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption screenshot("screenshot", "Save the window to FILE once the model is shown, then quit.", "FILE");
    QCommandLineOption tour("tour", "Open the model, quantize it to three precisions, compare and chat A/B, saving each view into DIR; then quit.",
                            "DIR");
    parser.addOption(screenshot);
    parser.addOption(tour);
    parser.addPositionalArgument("file", "GGUF file, HF safetensors folder, llama2.c checkpoint or results.json to open.");
    parser.process(app);

    MainWindow window;
    window.show();
    const QStringList pos = parser.positionalArguments();
    const QString path = !pos.isEmpty() ? pos.first() : qEnvironmentVariable("QUANTBENCH_SAMPLE_MODEL");
    if (parser.isSet(tour)) {
        if (path.isEmpty()) {
            std::fprintf(stderr, "quantbench: --tour needs a model to open\n");
            return 2;
        }
        auto* t = new Tour(&window, parser.value(tour), &window);
        QObject::connect(t, &Tour::finished, &app, [](int code) { QApplication::exit(code); }, Qt::QueuedConnection);
        t->start(path);
        return app.exec();
    }
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        auto save = [&window, file] {
            window.grab().save(file);
            QApplication::quit();
        };
        QObject::connect(&window, &MainWindow::modelShown, &window, save, Qt::QueuedConnection);
        QObject::connect(&window, &MainWindow::resultsShown, &window, save, Qt::QueuedConnection);
        QObject::connect(&window, &MainWindow::loadFailed, &window, save, Qt::QueuedConnection);
        if (path.isEmpty()) QTimer::singleShot(0, &window, save);
    }
    if (!path.isEmpty()) {
        if (path.endsWith(".json", Qt::CaseInsensitive)) window.openResults(path);
        else window.openModel(path);
    }
    return app.exec();
}
