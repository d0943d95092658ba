#include "gui/main_window.h"

#include "gui/model_info_view.h"
#include "gui/model_load_worker.h"

#include <QApplication>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    qRegisterMetaType<std::shared_ptr<const qb::Model>>("std::shared_ptr<const qb::Model>");
    setWindowTitle(tr("QuantBench"));
    setWindowIcon(QIcon(":/quantbench.svg"));
    setAcceptDrops(true);
    resize(1000, 700);

    m_info = new ModelInfoView(this);
    setCentralWidget(m_info);
    m_status = new QLabel(this);
    statusBar()->addWidget(m_status, 1);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open model…"), QKeySequence::Open, this, &MainWindow::chooseFile);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);

    m_worker = new ModelLoadWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &MainWindow::loadRequested, m_worker, &ModelLoadWorker::load, Qt::QueuedConnection);
    connect(m_worker, &ModelLoadWorker::loaded, this, &MainWindow::onLoaded, Qt::QueuedConnection);
    connect(m_worker, &ModelLoadWorker::failed, this, &MainWindow::onFailed, Qt::QueuedConnection);
    m_thread.start();
}

MainWindow::~MainWindow() {
    m_thread.quit();
    m_thread.wait();
}

void MainWindow::openModel(const QString& path) {
    m_status->setText(tr("Loading %1…").arg(path));
    emit loadRequested(path);
}

void MainWindow::chooseFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), QString(),
                                                      tr("Models (*.gguf *.bin *.safetensors);;All files (*)"));
    if (!path.isEmpty()) openModel(path);
}

void MainWindow::onLoaded(std::shared_ptr<const qb::Model> model) {
    m_model = std::move(model);
    m_info->showModel(*m_model);
    setWindowTitle(tr("QuantBench — %1").arg(QString::fromStdString(m_model->path)));
    m_status->setText(tr("Loaded %1").arg(QString::fromStdString(m_model->path)));
    emit modelShown();
}

void MainWindow::onFailed(const QString& message) {
    m_status->setText(message);
    emit loadFailed(message);
    if (QApplication::platformName() != "offscreen") QMessageBox::warning(this, tr("Cannot open model"), message);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) openModel(urls.first().toLocalFile());
}
