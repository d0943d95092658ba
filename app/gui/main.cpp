// quantbench: the Qt Widgets workbench. Opens the model given on the command
// line, else $QUANTBENCH_SAMPLE_MODEL, else an empty window.
// `--screenshot FILE.png` saves the window once the model is shown, then quits
// (for docs and headless checks).
#include "gui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("QuantBench");
    QApplication::setOrganizationName("QuantBench");
    QCommandLineParser parser;
    parser.setApplicationDescription("QuantBench: quantize, run and compare language models");
    parser.addHelpOption();
    QCommandLineOption screenshot("screenshot", "Save the window to FILE once the model is shown, then quit.", "FILE");
    parser.addOption(screenshot);
    parser.addPositionalArgument("model", "GGUF file, HF safetensors folder or llama2.c checkpoint to open.");
    parser.process(app);

    MainWindow window;
    window.show();
    const QStringList pos = parser.positionalArguments();
    const QString path = !pos.isEmpty() ? pos.first() : qEnvironmentVariable("QUANTBENCH_SAMPLE_MODEL");
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        auto save = [&window, file] {
            window.grab().save(file);
            QApplication::quit();
        };
        QObject::connect(&window, &MainWindow::modelShown, &window, save, Qt::QueuedConnection);
        QObject::connect(&window, &MainWindow::loadFailed, &window, save, Qt::QueuedConnection);
        if (path.isEmpty()) QTimer::singleShot(0, &window, save);
    }
    if (!path.isEmpty()) window.openModel(path);
    return app.exec();
}
