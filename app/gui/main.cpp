// quantbench: the Qt Widgets workbench. Opens the model given on the command
// line, else $QUANTBENCH_SAMPLE_MODEL, else an empty window.
#include "gui/main_window.h"

#include <QApplication>
#include <QFileInfo>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("QuantBench");
    QApplication::setOrganizationName("QuantBench");
    MainWindow window;
    window.show();
    QString path = argc > 1 ? QString::fromLocal8Bit(argv[1]) : qEnvironmentVariable("QUANTBENCH_SAMPLE_MODEL");
    if (!path.isEmpty()) window.openModel(path);
    return app.exec();
}
