#pragma once
// The workbench window: the variants list (the spine) beside four views —
// Model, Quantize, Compare, Chat — a device picker in the toolbar and a
// status bar with what is running, its progress, ETA and Cancel, and the
// memory in use. Long work runs on worker objects on their own threads
// (model loading, the sweep, each chat pane); the window only reacts to their
// queued signals. Closing the window cancels running work and waits for it.
#include "gui/device_choice.h"
#include "gui/json_metatype.h"
#include "gui/model_load_worker.h"

#include <QMainWindow>
#include <QPointer>
#include <QThread>
#include <QTimer>
#include <memory>

class ChatView;
class CompareView;
class ModelInfoView;
class QComboBox;
class QItemSelectionModel;
class QLabel;
class QListView;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QuantizeView;
class StallWatchdog;
class SweepWorker;
class VariantList;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum Tab { ModelTab, QuantizeTab, CompareTab, ChatTab };
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    void openResults(const QString& path);
    void runSweep();
    void cancel(); // the load or the sweep that is running
    void showTab(Tab tab);

    const qb::Model* model() const { return m_loaded ? m_loaded->model.get() : nullptr; }
    ModelInfoView* infoView() const { return m_info; }
    QuantizeView* quantizeView() const { return m_quantize; }
    CompareView* compareView() const { return m_compare; }
    ChatView* chatView() const { return m_chat; }
    VariantList* variants() const { return m_variants; }
    QItemSelectionModel* selection() const { return m_selection; }
    StallWatchdog* watchdog() const { return m_watchdog; }
    QTabWidget* tabs() const { return m_tabs; }
    QComboBox* devicePicker() const { return m_device; }
    QString statusText() const;
    bool sweepRunning() const { return m_sweepRunning; }

signals:
    void loadRequested(int request, const QString& path);
    void modelShown();
    void loadFailed(const QString& message);
    void resultsShown();
    void devicesListed();
    void sweepFinished();  // finished, cancelled or failed
    void sweepFailed(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void buildStatusBar();
    void startWorkers();
    void onLoaded(int request, std::shared_ptr<const LoadedModel> model);
    void onLoadFailed(int request, const QString& message);
    void onSweepProgress(const QString& stage, double done, double total, double eta);
    void onSweepEnded(const QString& message, bool ok);
    void setDevices(const std::vector<DeviceChoice>& devices);
    DeviceChoice currentDevice() const;
    void variantMenu(const QPoint& at);
    void chooseModelFile();
    void chooseResultsFile();
    void addRecent(const QString& path);
    void fillRecentMenu();
    void setBusy(const QString& what, bool cancellable);
    void setIdle(const QString& message);
    void updateMemory();
    void showError(const QString& title, const QString& message);
    void loadSettings();
    void saveSettings() const;
    void stopAll();

    VariantList* m_variants;
    QItemSelectionModel* m_selection;
    QListView* m_variantView;
    QTabWidget* m_tabs;
    ModelInfoView* m_info;
    QuantizeView* m_quantize;
    CompareView* m_compare;
    ChatView* m_chat;
    QComboBox* m_device;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_status;
    QProgressBar* m_progress;
    QLabel* m_eta;
    QPushButton* m_cancel;
    QLabel* m_memory;
    QTimer m_memoryTimer;
    StallWatchdog* m_watchdog;

    QThread m_loadThread, m_sweepThread;
    // QPointer: each worker is deleted when its thread ends (closeEvent), and the
    // destructor's stopAll() must then see null, not a dangling worker (found by UBSan)
    QPointer<ModelLoadWorker> m_loader;
    QPointer<SweepWorker> m_sweeper;
    QThread* m_deviceThread = nullptr;
    std::vector<DeviceChoice> m_devices;
    QString m_savedDevice;
    int m_loadRequest = 0;   // the load whose result is wanted (Cancel bumps it)
    bool m_loading = false, m_sweepRunning = false;
    std::shared_ptr<const LoadedModel> m_loaded;
    quint64 m_chatMemory = 0;
};
