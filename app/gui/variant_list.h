#pragma once
// The spine of the window: the model's variants (its reference first), each
// with its state in the sweep and, once measured, its results.json entry.
// Every view reads variants from here and selects through one selection
// model. Touched only on the GUI thread.
#include <QAbstractListModel>
#include <nlohmann/json.hpp>

class VariantList : public QAbstractListModel {
    Q_OBJECT
public:
    enum class State { Queued, Quantizing, Measuring, Done, Failed, Cancelled };
    enum Roles { NameRole = Qt::UserRole + 1, StateRole, FileRole, ProgressRole };

    struct Row {
        QString name;
        State state = State::Queued;
        bool reference = false;
        QString detail;     // stage and progress, or why it failed
        double progress = 0; // 0..1 within the current stage
        nlohmann::json entry; // the results.json variant (reference: reference_metrics + path)
    };

    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    // The reference row's name for results.json's "reference" (SOURCE or F16).
    static QString referenceName(const QString& reference);
    // A model was opened: it alone, as the reference, ready to chat with.
    void setSource(const QString& name, const QString& path, uint64_t bytes);
    // A whole results.json (opened from disk, or the sweep's when it ends).
    void setResults(const nlohmann::json& results);
    // A sweep starts: the reference (measuring) and one queued row per variant.
    void beginSweep(const QString& referenceName, const QStringList& variants);
    void referenceMeasured(const nlohmann::json& results);
    void variantStarted(int index);
    void progress(int row, const QString& stage, double fraction);
    void variantFinished(const nlohmann::json& entry);
    // The sweep stopped (cancelled or failed): rows not done say why.
    void sweepStopped(const QString& reason, State state);
    void clear();

    const nlohmann::json& results() const { return m_results; }
    const std::vector<Row>& rows() const { return m_rows; }
    int rowOf(const QString& name) const; // -1 when absent
    int runningRow() const { return m_running; }
    // The GGUF to run for a row: the variant's file, the reference's path.
    QString fileOf(int row) const;
    bool isDone(int row) const;

signals:
    void resultsChanged(); // a row became measurable (done) or the results were replaced

private:
    void changed(int row);

    std::vector<Row> m_rows;
    nlohmann::json m_results;
    int m_running = -1;
};
