#include "gui/main_window.h"

#include "eval/memory.h"
#include "eval/results.h"
#include "gui/chat_view.h"
#include "gui/compare_view.h"
#include "gui/format.h"
#include "gui/model_info_view.h"
#include "gui/quantize_view.h"
#include "gui/stall_watchdog.h"
#include "gui/sweep_worker.h"
#include "gui/variant_delegate.h"
#include "gui/variant_list.h"

#include <QApplication>
#include <QClipboard>
#include <QGuiApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

namespace {

QString sharedPath(const QString& relative) {
    // $QUANTBENCH_SHARED, else ../shared beside the build: defaults for the evaluation texts
    QString root = qEnvironmentVariable("QUANTBENCH_SHARED");
    if (root.isEmpty()) root = QDir(QCoreApplication::applicationDirPath()).absoluteFilePath("../../../shared");
    const QString p = QDir(root).absoluteFilePath(relative);
    return QFileInfo::exists(p) ? QDir::cleanPath(p) : QString();
}

bool looksLikeResults(const QString& path) { return path.endsWith(".json", Qt::CaseInsensitive) && QFileInfo(path).isFile(); }

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    qRegisterMetaType<std::shared_ptr<const LoadedModel>>("std::shared_ptr<const LoadedModel>");
    qRegisterMetaType<nlohmann::json>("nlohmann::json");
    qRegisterMetaType<qb::SweepOptions>("qb::SweepOptions");
    setWindowTitle(tr("QuantBench"));
    setWindowIcon(QIcon(":/quantbench.svg"));
    setAcceptDrops(true);
    resize(1280, 820);
    m_watchdog = new StallWatchdog(this);

    m_variants = new VariantList(this);
    m_selection = new QItemSelectionModel(m_variants, this);
    m_variantView = new QListView(this);
    m_variantView->setModel(m_variants);
    m_variantView->setSelectionModel(m_selection);
    m_variantView->setItemDelegate(new VariantDelegate(m_variantView));
    m_variantView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_variantView->setToolTip(tr("The variants of this model: select one (or two, for A/B chat); right-click for actions"));
    m_variantView->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_variantView, &QWidget::customContextMenuRequested, this, &MainWindow::variantMenu);
    auto* dock = new QDockWidget(tr("Variants"), this);
    dock->setObjectName("variants");
    dock->setWidget(m_variantView);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_info = new ModelInfoView(this);
    m_quantize = new QuantizeView(this);
    m_compare = new CompareView(m_variants, m_selection, this);
    m_chat = new ChatView(m_variants, this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_info, tr("&Model"));
    m_tabs->addTab(m_quantize, tr("&Quantize"));
    m_tabs->addTab(m_compare, tr("C&ompare"));
    m_tabs->addTab(m_chat, tr("C&hat"));
    setCentralWidget(m_tabs);

    m_device = new QComboBox(this);
    m_device->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_device->addItem(tr("detecting devices…"));
    m_device->setToolTip(tr("Where variants are measured and chat runs"));

    buildMenus();
    buildStatusBar();
    startWorkers();

    connect(m_quantize, &QuantizeView::runRequested, this, &MainWindow::runSweep);
    connect(m_quantize, &QuantizeView::cancelRequested, this, &MainWindow::cancel);
    connect(m_quantize, &QuantizeView::settingsChanged, this, &MainWindow::saveSettings);
    connect(m_variants, &VariantList::resultsChanged, this, [this] { m_quantize->setResults(m_variants->results()); });
    connect(m_device, &QComboBox::currentIndexChanged, this, [this] {
        const DeviceChoice d = currentDevice();
        m_quantize->setDevice(d);
        m_chat->setDevice(d.id);
        updateMemory();
    });
    connect(m_chat, &ChatView::busyChanged, this, [this](bool busy) {
        if (!m_sweepRunning) m_watchdog->setPhase(busy ? "chat" : "idle");
    });
    connect(m_chat, &ChatView::memoryChanged, this, [this](quint64 b) {
        m_chatMemory = b;
        updateMemory();
    });
    // selecting variants in the list picks them for chat (the first two for A/B)
    connect(m_selection, &QItemSelectionModel::selectionChanged, this, [this] {
        QStringList names;
        for (const QModelIndex& i : m_selection->selectedRows())
            if (m_variants->isDone(i.row())) names << i.data(VariantList::NameRole).toString();
        if (names.size() >= 2) m_chat->chooseVariants(names[0], names[1]);
    });
    m_memoryTimer.setInterval(1000);
    connect(&m_memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemory);
    m_memoryTimer.start();
    loadSettings();
    updateMemory();
}

MainWindow::~MainWindow() { stopAll(); }

void MainWindow::stopAll() {
    // cancel and wait: no worker outlives the window or touches it after this
    if (m_sweeper) m_sweeper->cancel();
    m_chat->stop();
    m_loadThread.quit();
    m_sweepThread.quit();
    m_loadThread.wait();
    m_sweepThread.wait();
    if (m_deviceThread) m_deviceThread->wait();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open model…"), QKeySequence::Open, this, &MainWindow::chooseModelFile);
    file->addAction(tr("Open &results…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, &MainWindow::chooseResultsFile);
    m_recentMenu = file->addMenu(tr("Recent"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(tr("&Run the sweep"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::runSweep);
    run->addAction(tr("&Cancel"), QKeySequence(Qt::CTRL | Qt::Key_Period), this, &MainWindow::cancel);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const char* names[] = {"Model", "Quantize", "Compare", "Chat"};
    for (int i = 0; i < 4; ++i)
        view->addAction(tr(names[i]), QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), this, [this, i] { showTab(Tab(i)); });

    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName("main toolbar");
    tools->addAction(tr("Open model"), this, &MainWindow::chooseModelFile);
    tools->addAction(tr("Open results"), this, &MainWindow::chooseResultsFile);
    tools->addSeparator();
    tools->addWidget(new QLabel(tr(" Device: "), this));
    tools->addWidget(m_device);
    fillRecentMenu();
}

void MainWindow::buildStatusBar() {
    m_status = new QLabel(tr("Drop a model (GGUF, HF safetensors folder, llama2.c .bin) or a results.json anywhere on the window."), this);
    m_progress = new QProgressBar(this);
    // always there (no relayout of the window when work starts or ends): empty and disabled when idle
    m_progress->setFixedWidth(220);
    m_progress->setTextVisible(false);
    m_eta = new QLabel(this);
    m_eta->setMinimumWidth(QFontMetrics(font()).horizontalAdvance("ETA 0:00:00"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancel);
    m_memory = new QLabel(this);
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_eta);
    statusBar()->addPermanentWidget(m_cancel);
    statusBar()->addPermanentWidget(m_memory);
}

void MainWindow::startWorkers() {
    m_loader = new ModelLoadWorker;
    m_loader->moveToThread(&m_loadThread);
    connect(&m_loadThread, &QThread::finished, m_loader, &QObject::deleteLater);
    connect(this, &MainWindow::loadRequested, m_loader, &ModelLoadWorker::load, Qt::QueuedConnection);
    connect(m_loader, &ModelLoadWorker::loaded, this, &MainWindow::onLoaded, Qt::QueuedConnection);
    connect(m_loader, &ModelLoadWorker::failed, this, &MainWindow::onLoadFailed, Qt::QueuedConnection);
    m_loadThread.setObjectName("model loader");
    m_loadThread.start();

    m_sweeper = new SweepWorker;
    m_sweeper->moveToThread(&m_sweepThread);
    connect(&m_sweepThread, &QThread::finished, m_sweeper, &QObject::deleteLater);
    connect(m_sweeper, &SweepWorker::progress, this, &MainWindow::onSweepProgress, Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::referenceMeasured, this, [this](const nlohmann::json& r) { m_variants->referenceMeasured(r); },
            Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::variantStarted, this, [this](int i) { m_variants->variantStarted(i); }, Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::variantFinished, this, [this](const nlohmann::json& e) { m_variants->variantFinished(e); },
            Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::finished, this, [this](const nlohmann::json& r) {
        const QString current = m_compare->selectedVariant();
        m_variants->setResults(r); // the saved file's view: every number as written
        if (!current.isEmpty()) m_compare->selectVariant(current);
        onSweepEnded(tr("Sweep finished: %1 variant(s) in %2").arg(r["variants"].size()).arg(m_quantize->outputDir()), true);
    }, Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::cancelled, this, [this](const QString&) {
        m_variants->sweepStopped(tr("cancelled: finished variants are kept, no partial files"), VariantList::State::Cancelled);
        onSweepEnded(tr("Sweep cancelled: finished variants are kept; running it again resumes"), false);
    }, Qt::QueuedConnection);
    connect(m_sweeper, &SweepWorker::failed, this, [this](const QString& message) {
        m_variants->sweepStopped(message, VariantList::State::Failed);
        onSweepEnded(message, false);
        emit sweepFailed(message);
        showError(tr("The sweep stopped"), message);
    }, Qt::QueuedConnection);
    m_sweepThread.setObjectName("sweep");
    m_sweepThread.start();

    // listing Vulkan devices creates an instance: off the GUI thread
    m_deviceThread = QThread::create([this] {
        const std::vector<DeviceChoice> devices = listDeviceChoices();
        QMetaObject::invokeMethod(this, [this, devices] { setDevices(devices); }, Qt::QueuedConnection);
    });
    m_deviceThread->setParent(this);
    m_deviceThread->start();
}

void MainWindow::setDevices(const std::vector<DeviceChoice>& devices) {
    m_devices = devices;
    QSignalBlocker block(m_device);
    m_device->clear();
    for (const DeviceChoice& d : devices) m_device->addItem(d.name, d.id);
    int index = m_device->findData(m_savedDevice);
    m_device->setCurrentIndex(index >= 0 ? index : 0);
    block.unblock();
    const DeviceChoice d = currentDevice();
    m_quantize->setDevice(d);
    m_chat->setDevice(d.id);
    updateMemory();
    emit devicesListed();
}

DeviceChoice MainWindow::currentDevice() const {
    const int i = m_device->currentIndex();
    if (i >= 0 && i < int(m_devices.size())) return m_devices[size_t(i)];
    DeviceChoice d; // before the list is in: the default rule (Vulkan when present, else the CPU)
    d.name = tr("default device");
    return d;
}

void MainWindow::variantMenu(const QPoint& at) {
    const QModelIndex index = m_variantView->indexAt(at);
    if (!index.isValid()) return;
    const int row = index.row();
    const QString name = index.data(VariantList::NameRole).toString();
    const auto state = VariantList::State(index.data(VariantList::StateRole).toInt());
    QMenu menu(this);
    if (m_variants->isDone(row)) {
        menu.addAction(tr("Chat with %1").arg(name), this, [this, name] {
            m_chat->setAb(false);
            m_chat->chooseVariants(name);
            showTab(ChatTab);
        });
        menu.addAction(tr("Compare: show %1").arg(name), this, [this, name] {
            m_compare->selectVariant(name);
            showTab(CompareTab);
        });
        const QString file = m_variants->fileOf(row);
        if (!file.isEmpty())
            menu.addAction(tr("Copy the file's path"), this, [file] { QGuiApplication::clipboard()->setText(file); });
    }
    if (m_sweepRunning && (state == VariantList::State::Queued || state == VariantList::State::Quantizing || state == VariantList::State::Measuring))
        menu.addAction(tr("Cancel the sweep (finished variants are kept)"), this, &MainWindow::cancel);
    if (!menu.isEmpty()) menu.exec(m_variantView->viewport()->mapToGlobal(at));
}

void MainWindow::showTab(Tab tab) { m_tabs->setCurrentIndex(int(tab)); }

QString MainWindow::statusText() const { return m_status->text(); }

void MainWindow::setBusy(const QString& what, bool cancellable) {
    m_status->setText(what);
    m_progress->setTextVisible(true);
    m_cancel->setEnabled(cancellable);
}

void MainWindow::setIdle(const QString& message) {
    m_status->setText(message);
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_eta->clear();
    m_cancel->setEnabled(false);
}

void MainWindow::openModel(const QString& path) {
    if (m_sweepRunning) {
        showError(tr("A sweep is running"), tr("Cancel the sweep before opening another model (%1).").arg(path));
        return;
    }
    m_loading = true;
    ++m_loadRequest;
    setBusy(tr("Loading %1…").arg(path), true);
    m_progress->setRange(0, 0); // the loader reports no fraction: a busy bar
    emit loadRequested(m_loadRequest, path);
}

void MainWindow::onLoaded(int request, std::shared_ptr<const LoadedModel> loaded) {
    if (request != m_loadRequest) return; // cancelled: dropped
    m_loading = false;
    m_loaded = std::move(loaded);
    const qb::Model& m = *m_loaded->model;
    m_info->showModel(m);
    m_quantize->setModel(m_loaded);
    const QString path = QString::fromStdString(m.path);
    const QString base = QFileInfo(path).completeBaseName();
    m_quantize->setOutputDir(QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath("sweeps/" + base));
    m_variants->setSource(VariantList::referenceName("SOURCE"), path, m.fileBytes);
    m_selection->setCurrentIndex(m_variants->index(0), QItemSelectionModel::ClearAndSelect);
    setWindowTitle(tr("QuantBench — %1").arg(QFileInfo(path).fileName()));
    setIdle(tr("Loaded %1 in %2 s").arg(path).arg(m_loaded->seconds, 0, 'f', 2));
    addRecent(path);
    showTab(ModelTab);
    emit modelShown();
}

void MainWindow::onLoadFailed(int request, const QString& message) {
    if (request != m_loadRequest) return;
    m_loading = false;
    setIdle(message);
    emit loadFailed(message);
    showError(tr("Cannot open model"), message);
}

void MainWindow::openResults(const QString& path) {
    if (m_sweepRunning) {
        showError(tr("A sweep is running"), tr("Cancel the sweep before opening %1.").arg(path));
        return;
    }
    try {
        const nlohmann::json results = qb::loadResults(path.toStdString()); // validated: names the key that is wrong
        m_variants->setResults(results);
        m_selection->setCurrentIndex(m_variants->index(0), QItemSelectionModel::ClearAndSelect);
        setIdle(tr("Opened %1: %2 variant(s), measured %3").arg(path).arg(results["variants"].size())
                    .arg(QString::fromStdString(results.value("updated", std::string()))));
        addRecent(path);
        showTab(CompareTab);
        emit resultsShown();
    } catch (const std::exception& e) {
        const QString message = QString::fromUtf8(e.what());
        setIdle(message);
        emit loadFailed(message);
        showError(tr("Cannot open results"), message);
    }
}

void MainWindow::runSweep() {
    if (m_sweepRunning || m_loading) return;
    QString error;
    const auto options = m_quantize->sweepOptions(&error);
    if (!options) {
        showTab(QuantizeTab);
        m_status->setText(error);
        emit sweepFailed(error);
        if (QApplication::platformName() != "offscreen") QMessageBox::information(this, tr("Cannot run yet"), error);
        return;
    }
    saveSettings();
    m_sweepRunning = true;
    m_watchdog->setPhase("sweep");
    m_quantize->setRunning(true);
    QStringList names;
    for (const auto& v : options->variants) names << QString::fromStdString(v.name);
    m_variants->beginSweep(VariantList::referenceName(QString::fromStdString(options->reference)), names);
    setBusy(tr("Sweep: starting…"), true);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    QMetaObject::invokeMethod(m_sweeper, [w = m_sweeper, o = *options] { w->run(o); }, Qt::QueuedConnection);
}

void MainWindow::onSweepProgress(const QString& stage, double done, double total, double eta) {
    const double f = total > 0 ? done / total : 0;
    const int row = stage.startsWith("reference") ? 0 : m_variants->runningRow();
    QString detail = stage.section(": ", 1);
    detail += QString(" %1%").arg(int(f * 100));
    if (eta > 0) detail += " " + gui::etaText(eta);
    m_variants->progress(row, detail, f);
    m_status->setText(tr("Sweep: %1 — %2 of %3").arg(stage).arg(done, 0, 'f', 0).arg(total, 0, 'f', 0));
    m_progress->setValue(int(f * 1000));
    m_eta->setText(gui::etaText(eta));
}

void MainWindow::onSweepEnded(const QString& message, bool) {
    m_sweepRunning = false;
    m_watchdog->setPhase("idle");
    m_quantize->setRunning(false);
    setIdle(message);
    if (m_variants->rowCount() > 1) showTab(CompareTab);
    emit sweepFinished();
}

void MainWindow::cancel() {
    if (m_sweepRunning && m_sweeper) {
        m_sweeper->cancel();
        m_status->setText(tr("Cancelling the sweep…"));
    } else if (m_loading) {
        ++m_loadRequest; // the load finishes on its thread; its result is dropped
        m_loading = false;
        setIdle(tr("Loading cancelled"));
    }
}

void MainWindow::updateMemory() {
    const qb::HostMemory host = qb::hostMemory();
    const DeviceChoice d = currentDevice();
    QString text = d.name.section(QString::fromUtf8(" — "), 0, 0);
    if (d.memoryBytes) text += tr(" (%1)").arg(gui::bytesText(d.memoryBytes));
    text += tr(" · RAM %1").arg(gui::bytesText(host.residentBytes));
    if (m_chatMemory) text += tr(" · chat models %1").arg(gui::bytesText(m_chatMemory));
    m_memory->setText(text);
    m_memory->setToolTip(tr("Resident memory of QuantBench now (peak %1); the chat panes' weights, KV cache and scratch; the device's memory")
                             .arg(gui::bytesText(host.peakResidentBytes)));
}

void MainWindow::showError(const QString& title, const QString& message) {
    if (QApplication::platformName() != "offscreen") QMessageBox::warning(this, title, message);
}

void MainWindow::chooseModelFile() {
    QSettings s;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), s.value("folders/models").toString(),
                                                      tr("Models (*.gguf *.bin *.safetensors);;All files (*)"));
    if (path.isEmpty()) return;
    s.setValue("folders/models", QFileInfo(path).absolutePath());
    openModel(path);
}

void MainWindow::chooseResultsFile() {
    QSettings s;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open results"), s.value("folders/results").toString(), tr("results.json (*.json)"));
    if (path.isEmpty()) return;
    s.setValue("folders/results", QFileInfo(path).absolutePath());
    openResults(path);
}

void MainWindow::addRecent(const QString& path) {
    QSettings s;
    QStringList recent = s.value("recent").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 10) recent.removeLast();
    s.setValue("recent", recent);
    fillRecentMenu();
}

void MainWindow::fillRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("recent").toStringList();
    for (const QString& p : recent)
        m_recentMenu->addAction(p, this, [this, p] { looksLikeResults(p) ? openResults(p) : openModel(p); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::loadSettings() {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    m_savedDevice = s.value("device").toString();
    m_quantize->setTextPath(s.value("eval/text", sharedPath("text/tinystories_val.txt")).toString());
    m_quantize->setTasksPath(s.value("eval/tasks").toString());
    m_quantize->setCalibrationPath(s.value("eval/calibration", sharedPath("text/tinystories_sample.txt")).toString());
    m_quantize->setCheckedVariants(s.value("quantize/checked", QStringList{"Q8_0", "Q4_K_M", "Q4_0"}).toStringList());
    qb::ChatOptions chat = m_chat->settings();
    chat.systemPrompt = s.value("chat/system", QString()).toString().toStdString();
    chat.sampling.temperature = s.value("chat/temperature", double(chat.sampling.temperature)).toFloat();
    chat.sampling.topP = s.value("chat/top_p", double(chat.sampling.topP)).toFloat();
    chat.sampling.topK = s.value("chat/top_k", chat.sampling.topK).toInt();
    chat.sampling.minP = s.value("chat/min_p", double(chat.sampling.minP)).toFloat();
    chat.sampling.seed = s.value("chat/seed", qulonglong(chat.sampling.seed)).toULongLong();
    chat.maxTokens = s.value("chat/max_tokens", chat.maxTokens).toInt();
    chat.contextPolicy = qb::ContextPolicy(s.value("chat/context_policy", int(chat.contextPolicy)).toInt());
    m_chat->setSettings(chat);
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    if (!m_devices.empty()) s.setValue("device", currentDevice().id);
    s.setValue("eval/text", m_quantize->textPath());
    s.setValue("eval/tasks", m_quantize->tasksPath());
    s.setValue("eval/calibration", m_quantize->calibrationPath());
    s.setValue("quantize/checked", m_quantize->checkedVariants());
    const qb::ChatOptions chat = m_chat->settings();
    s.setValue("chat/system", QString::fromStdString(chat.systemPrompt));
    s.setValue("chat/temperature", double(chat.sampling.temperature));
    s.setValue("chat/top_p", double(chat.sampling.topP));
    s.setValue("chat/top_k", chat.sampling.topK);
    s.setValue("chat/min_p", double(chat.sampling.minP));
    s.setValue("chat/seed", qulonglong(chat.sampling.seed));
    s.setValue("chat/max_tokens", chat.maxTokens);
    s.setValue("chat/context_policy", int(chat.contextPolicy));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    stopAll();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    const QString path = urls.first().toLocalFile();
    if (looksLikeResults(path)) openResults(path);
    else openModel(path);
}
