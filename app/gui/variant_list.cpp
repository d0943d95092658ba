#include "gui/variant_list.h"

#include "gui/format.h"

#include <QApplication>
#include <QColor>
#include <QPalette>

namespace {

QString stateText(VariantList::State s) {
    switch (s) {
    case VariantList::State::Queued: return QObject::tr("queued");
    case VariantList::State::Quantizing: return QObject::tr("quantizing");
    case VariantList::State::Measuring: return QObject::tr("measuring");
    case VariantList::State::Done: return QObject::tr("done");
    case VariantList::State::Failed: return QObject::tr("failed");
    case VariantList::State::Cancelled: return QObject::tr("cancelled");
    }
    return {};
}

QColor stateColor(VariantList::State s) {
    switch (s) {
    case VariantList::State::Queued: return QColor(140, 140, 140);
    case VariantList::State::Quantizing:
    case VariantList::State::Measuring: return QColor(230, 160, 20);
    case VariantList::State::Done: return QColor(40, 170, 80);
    case VariantList::State::Failed: return QColor(210, 50, 50);
    case VariantList::State::Cancelled: return QColor(120, 120, 200);
    }
    return {};
}

} // namespace

QString VariantList::referenceName(const QString& reference) {
    return reference == "F16" ? QStringLiteral("source F16") : QStringLiteral("source"); // never a variant's name ("F16")
}

int VariantList::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

QVariant VariantList::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const Row& r = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: {
        QString text = r.name + (r.reference ? tr(" (reference)") : QString());
        if (r.state == State::Done && r.entry.contains("bytes")) {
            text += "  " + gui::bytesText(r.entry["bytes"].get<uint64_t>());
            if (!r.reference && r.entry.contains("kld_mean")) text += tr("  KLD %1").arg(r.entry["kld_mean"].get<double>(), 0, 'f', 4);
            if (r.entry.contains("ppl")) text += tr("  PPL %1").arg(r.entry["ppl"].get<double>(), 0, 'f', 3);
        } else {
            text += "  " + stateText(r.state);
            if (!r.detail.isEmpty() && r.state != State::Failed) text += QString::fromUtf8(" — ") + r.detail;
        }
        return text;
    }
    case Qt::ToolTipRole:
        return r.state == State::Failed || r.state == State::Cancelled ? stateText(r.state) + ": " + r.detail
               : r.detail.isEmpty() ? stateText(r.state) : r.detail;
    case Qt::DecorationRole: return stateColor(r.state);
    case NameRole: return r.name;
    case StateRole: return int(r.state);
    case FileRole: return fileOf(index.row());
    case ProgressRole: return r.progress;
    default: return {};
    }
}

void VariantList::clear() {
    beginResetModel();
    m_rows.clear();
    m_results = nlohmann::json();
    m_running = -1;
    endResetModel();
    emit resultsChanged();
}

void VariantList::setSource(const QString& name, const QString& path, uint64_t bytes) {
    beginResetModel();
    m_rows.clear();
    m_results = nlohmann::json();
    m_running = -1;
    Row ref;
    ref.reference = true;
    ref.name = name;
    ref.state = State::Done;
    ref.entry = {{"file", path.toStdString()}, {"bytes", bytes}};
    m_rows.push_back(ref);
    endResetModel();
    emit resultsChanged();
}

void VariantList::setResults(const nlohmann::json& results) {
    beginResetModel();
    m_rows.clear();
    m_results = results;
    m_running = -1;
    Row ref;
    ref.reference = true;
    ref.name = referenceName(QString::fromStdString(results.value("reference", std::string("SOURCE"))));
    ref.state = results.contains("reference_metrics") ? State::Done : State::Measuring;
    if (results.contains("reference_metrics")) {
        ref.entry = results["reference_metrics"];
        ref.entry["file"] = results.value("reference_path", std::string());
    }
    m_rows.push_back(ref);
    for (const auto& v : results.value("variants", nlohmann::json::array())) {
        Row r;
        r.name = QString::fromStdString(v.value("name", std::string()));
        r.entry = v;
        r.state = v.value("status", std::string()) == "ok" ? State::Done : State::Failed;
        if (r.state == State::Failed) r.detail = QString::fromStdString(v.value("error", std::string()));
        m_rows.push_back(r);
    }
    endResetModel();
    emit resultsChanged();
}

void VariantList::beginSweep(const QString& referenceName, const QStringList& variants) {
    beginResetModel();
    m_rows.clear();
    m_results = nlohmann::json();
    Row ref;
    ref.reference = true;
    ref.name = referenceName;
    ref.state = State::Measuring;
    m_rows.push_back(ref);
    for (const QString& v : variants) {
        Row r;
        r.name = v;
        m_rows.push_back(r);
    }
    m_running = 0;
    endResetModel();
    emit resultsChanged();
}

void VariantList::referenceMeasured(const nlohmann::json& results) {
    m_results = results;
    Row& ref = m_rows.front();
    ref.state = State::Done;
    ref.detail.clear();
    ref.entry = results["reference_metrics"];
    ref.entry["file"] = results.value("reference_path", std::string());
    changed(0);
    emit resultsChanged();
}

void VariantList::variantStarted(int index) {
    const int row = index + 1;
    if (row >= int(m_rows.size())) return;
    m_running = row;
    m_rows[size_t(row)].state = State::Quantizing;
    changed(row);
}

void VariantList::progress(int row, const QString& stage, double fraction) {
    if (row < 0 || row >= int(m_rows.size())) return;
    Row& r = m_rows[size_t(row)];
    const bool quantizing = stage.contains("quantize") || stage.contains("calibration") || stage.contains("gptq") || stage.contains("awq") ||
                            stage.contains("sensitivity");
    if (!r.reference) r.state = quantizing ? State::Quantizing : State::Measuring;
    r.detail = stage;
    r.progress = fraction;
    changed(row);
}

void VariantList::variantFinished(const nlohmann::json& entry) {
    const int row = rowOf(QString::fromStdString(entry.value("name", std::string())));
    if (row < 0) return;
    Row& r = m_rows[size_t(row)];
    r.entry = entry;
    r.progress = 1;
    const bool ok = entry.value("status", std::string()) == "ok";
    r.state = ok ? State::Done : State::Failed;
    r.detail = ok ? QString() : QString::fromStdString(entry.value("error", std::string()));
    if (m_results.is_object()) m_results["variants"].push_back(entry);
    changed(row);
    emit resultsChanged();
}

void VariantList::sweepStopped(const QString& reason, State state) {
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        if (r.state == State::Done || r.state == State::Failed) continue;
        r.state = state;
        r.detail = reason;
        changed(int(i));
    }
    m_running = -1;
}

int VariantList::rowOf(const QString& name) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].name == name) return int(i);
    return -1;
}

QString VariantList::fileOf(int row) const {
    if (row < 0 || row >= int(m_rows.size())) return {};
    return QString::fromStdString(m_rows[size_t(row)].entry.value("file", std::string()));
}

bool VariantList::isDone(int row) const { return row >= 0 && row < int(m_rows.size()) && m_rows[size_t(row)].state == State::Done; }

void VariantList::changed(int row) {
    const QModelIndex i = index(row);
    emit dataChanged(i, i);
}
