#pragma once
// The workbench window: open (menu or drag-and-drop) a model, see what it holds.
// Loading runs on a worker thread; the window only reacts to its signals.
#include "model/model.h"

#include <QMainWindow>
#include <QThread>
#include <memory>

class ModelInfoView;
class ModelLoadWorker;
class QLabel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);
    const qb::Model* model() const { return m_model.get(); }
    ModelInfoView* infoView() const { return m_info; }

signals:
    void loadRequested(const QString& path);
    void modelShown();
    void loadFailed(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void onLoaded(std::shared_ptr<const qb::Model> model);
    void onFailed(const QString& message);
    void chooseFile();

    ModelInfoView* m_info;
    QLabel* m_status;
    QThread m_thread;
    ModelLoadWorker* m_worker;
    std::shared_ptr<const qb::Model> m_model;
};
