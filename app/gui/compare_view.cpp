#include "gui/compare_view.h"

#include "eval/pareto.h"
#include "gui/format.h"
#include "gui/heatmap_widget.h"
#include "gui/variant_list.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineSeries>
#include <QMenu>
#include <QPushButton>
#include <QScatterSeries>
#include <QSplitter>
#include <QTableWidget>
#include <QTextStream>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>
#include <optional>

namespace {

struct Metric {
    const char* key;
    const char* label;
    bool lowerIsBetter;
};
const Metric kMetrics[] = {
    {"kld_mean", "KLD mean (nats)", true},
    {"kld_p99", "KLD 99th percentile (nats)", true},
    {"ppl", "Perplexity", true},
    {"top1_agreement", "Top-1 agreement with the reference (%)", false},
    {"mc_acc", "Multiple-choice accuracy per token (%)", false},
};

const Metric& metricOf(const QString& key) {
    for (const Metric& m : kMetrics)
        if (key == m.key) return m;
    return kMetrics[0];
}

// a row's value of the metric; the reference scores itself as exact
std::optional<double> valueOf(const VariantList::Row& r, const Metric& m) {
    const nlohmann::json& e = r.entry;
    const std::string key = m.key;
    if (key == "mc_acc") {
        if (e.contains("mc") && e["mc"].is_object() && e["mc"].contains("acc_per_token")) return e["mc"]["acc_per_token"].get<double>();
        return std::nullopt;
    }
    if (r.reference) {
        if (key == "kld_mean" || key == "kld_p99") return 0.0;
        if (key == "top1_agreement") return 100.0;
    }
    if (e.contains(key) && e[key].is_number()) return e[key].get<double>();
    return std::nullopt;
}

double num(const nlohmann::json& e, const char* key) { return e.contains(key) && e[key].is_number() ? e[key].get<double>() : NAN; }

QChartView* makeChartView(QWidget* parent) {
    auto* chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignRight);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(220);
    return view;
}

// empty, in the current palette (dark mode: the chart follows the system palette, not a fixed theme)
void clearChart(QChart* chart, const QPalette& pal) {
    chart->removeAllSeries();
    for (QAbstractAxis* a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setBackgroundBrush(pal.base());
    chart->setTitleBrush(pal.text());
    chart->legend()->setLabelColor(pal.color(QPalette::Text));
}

} // namespace

CompareView::CompareView(VariantList* variants, QItemSelectionModel* selection, QWidget* parent)
    : QWidget(parent), m_variants(variants), m_selection(selection) {
    m_metric = new QComboBox(this);
    for (const Metric& m : kMetrics) m_metric->addItem(tr(m.label), QString(m.key));
    m_heatMetric = new QComboBox(this);
    m_heatMetric->addItem(tr("relative error"), int(HeatmapWidget::Metric::RelativeError));
    m_heatMetric->addItem(tr("SNR (dB)"), int(HeatmapWidget::Metric::SnrDb));
    m_about = new QLabel(this);
    m_about->setWordWrap(true);
    auto* exportButton = new QPushButton(tr("Export…"), this);
    auto* exportMenu = new QMenu(exportButton);
    exportMenu->addAction(tr("Quality chart as PNG…"), this, [this] { exportDialog(0); });
    exportMenu->addAction(tr("Speed chart as PNG…"), this, [this] { exportDialog(1); });
    exportMenu->addAction(tr("Heatmap as PNG…"), this, [this] { exportDialog(2); });
    exportMenu->addAction(tr("Table as CSV…"), this, [this] { exportDialog(3); });
    exportButton->setMenu(exportMenu);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Quality axis:"), this));
    top->addWidget(m_metric);
    top->addWidget(new QLabel(tr("Heatmap colour:"), this));
    top->addWidget(m_heatMetric);
    top->addStretch(1);
    top->addWidget(exportButton);

    m_scatter = makeChartView(this);
    m_speed = makeChartView(this);
    m_heatmap = new HeatmapWidget(this);
    m_table = new QTableWidget(0, 0, this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();

    auto* charts = new QSplitter(Qt::Horizontal, this);
    charts->addWidget(m_scatter);
    charts->addWidget(m_speed);
    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(m_table);
    lower->addWidget(m_heatmap);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(charts);
    split->addWidget(lower);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_about);
    layout->addWidget(split, 1);

    connect(m_metric, &QComboBox::currentIndexChanged, this, &CompareView::rebuildScatter);
    connect(m_heatMetric, &QComboBox::currentIndexChanged, this,
            [this] { m_heatmap->setMetric(HeatmapWidget::Metric(m_heatMetric->currentData().toInt())); });
    connect(m_variants, &VariantList::resultsChanged, this, &CompareView::rebuild);
    connect(m_variants, &QAbstractItemModel::modelReset, this, &CompareView::rebuild);
    connect(m_selection, &QItemSelectionModel::currentChanged, this, &CompareView::showSelection);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (!rows.isEmpty()) selectVariant(m_table->item(rows.first().row(), 0)->text());
    });
    rebuild();
}

QStringList CompareView::qualityMetrics() const {
    QStringList out;
    for (const Metric& m : kMetrics) out << m.key;
    return out;
}

void CompareView::setQualityMetric(const QString& key) { m_metric->setCurrentIndex(m_metric->findData(key)); }

QChart* CompareView::scatterChart() const { return m_scatter->chart(); }
QChart* CompareView::speedChart() const { return m_speed->chart(); }

int CompareView::variantPointCount() const {
    int n = 0;
    for (QAbstractSeries* s : m_scatter->chart()->series())
        if (auto* sc = qobject_cast<QScatterSeries*>(s); sc && sc->property("variant").isValid() && !sc->property("reference").toBool())
            n += sc->count();
    return n;
}

void CompareView::rebuild() {
    const nlohmann::json& results = m_variants->results();
    if (results.is_object() && results.contains("evaluation")) {
        const auto& ev = results["evaluation"];
        m_about->setText(tr("%1 — measured on %2, ctx %3, %4 chunks of %5; KLD against %6. Sizes are file sizes.")
                             .arg(QString::fromStdString(results["model"].value("name", std::string())))
                             .arg(QString::fromStdString(ev.value("device", std::string())))
                             .arg(ev.value("ctx", 0))
                             .arg(ev.value("chunks", 0))
                             .arg(QString::fromStdString(ev.contains("text") && ev["text"].is_object() ? ev["text"].value("path", std::string()) : std::string()))
                             .arg(QString::fromStdString(results.value("reference_path", std::string()))));
    } else {
        m_about->setText(tr("Run a sweep from Quantize, or open a results.json (File ▸ Open results): the measured variants appear here."));
    }
    rebuildScatter();
    rebuildSpeed();
    rebuildTable();
    showSelection();
}

void CompareView::changeEvent(QEvent* e) {
    QWidget::changeEvent(e);
    if (e->type() == QEvent::PaletteChange) {
        rebuildScatter();
        rebuildSpeed();
    }
}

void CompareView::rebuildScatter() {
    QChart* chart = m_scatter->chart();
    clearChart(chart, palette());
    const Metric& metric = metricOf(m_metric->currentData().toString());
    chart->setTitle(tr("Size vs %1 (%2 is better)").arg(tr(metric.label), metric.lowerIsBetter ? tr("lower") : tr("higher")));
    auto* x = new QValueAxis;
    x->setTitleText(tr("File size (MB)"));
    auto* y = new QValueAxis;
    y->setTitleText(tr(metric.label));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);

    std::vector<qb::SizeLoss> points;
    std::vector<QString> names;
    std::vector<QPointF> xy;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    const auto& rows = m_variants->rows();
    for (int i = 0; i < int(rows.size()); ++i) {
        const VariantList::Row& r = rows[size_t(i)];
        if (r.state != VariantList::State::Done || !r.entry.contains("bytes")) continue;
        const auto v = valueOf(r, metric);
        if (!v || !std::isfinite(*v)) continue;
        const double mb = r.entry["bytes"].get<double>() / 1e6;
        auto* s = new QScatterSeries;
        s->setName(r.reference ? r.name + tr(" (reference)") : r.name);
        s->setProperty("variant", r.name);
        s->setProperty("reference", r.reference);
        s->setMarkerShape(r.reference ? QScatterSeries::MarkerShapeRectangle : QScatterSeries::MarkerShapeCircle);
        s->setMarkerSize(r.reference ? 14 : 11);
        s->append(mb, *v);
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
        const QString name = r.name;
        const double bpw = num(r.entry, "bpw");
        const QString label = tr(metric.label);
        connect(s, &QScatterSeries::hovered, this, [name, bpw, label, mb, v](const QPointF&, bool state) {
            if (!state) {
                QToolTip::hideText();
                return;
            }
            QString text = tr("%1\n%2 (%3 bytes)\n%4: %5").arg(name, gui::bytesText(uint64_t(mb * 1e6))).arg(qulonglong(mb * 1e6)).arg(label).arg(*v, 0, 'g', 6);
            if (std::isfinite(bpw)) text += tr("\n%1 bits per weight").arg(bpw, 0, 'f', 3);
            QToolTip::showText(QCursor::pos(), text);
        });
        connect(s, &QScatterSeries::clicked, this, [this, name](const QPointF&) { selectVariant(name); });
        points.push_back({mb, metric.lowerIsBetter ? *v : -*v});
        names.push_back(r.name);
        xy.emplace_back(mb, *v);
        xmin = std::min(xmin, mb), xmax = std::max(xmax, mb), ymin = std::min(ymin, *v), ymax = std::max(ymax, *v);
    }
    m_frontier.clear();
    if (points.size() >= 2) {
        auto* line = new QLineSeries;
        line->setName(tr("Pareto frontier"));
        for (size_t i : qb::paretoFrontier(points)) {
            line->append(xy[i]);
            m_frontier << names[i];
        }
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    if (std::isfinite(xmin)) {
        const double dx = std::max(1e-6, (xmax - xmin) * 0.08), dy = std::max(1e-9, (ymax - ymin) * 0.1);
        x->setRange(std::max(0.0, xmin - dx), xmax + dx);
        y->setRange(ymin >= 0 ? std::max(0.0, ymin - dy) : ymin - dy, ymax + dy); // KLD, PPL, % are never negative
    }
    showSelection();
}

void CompareView::rebuildSpeed() {
    QChart* chart = m_speed->chart();
    clearChart(chart, palette());
    const nlohmann::json& results = m_variants->results();
    const auto& bench = results.is_object() && results.contains("evaluation") ? results["evaluation"].value("bench", nlohmann::json::object())
                                                                              : nlohmann::json::object();
    chart->setTitle(tr("Tokens per second (prefill %1, decode %2 tokens)").arg(bench.value("pp", 0)).arg(bench.value("tg", 0)));
    auto* pp = new QBarSet(tr("prefill"));
    auto* tg = new QBarSet(tr("decode"));
    QStringList categories;
    QVector<double> ppSd, tgSd;
    for (const auto& r : m_variants->rows()) {
        if (r.state != VariantList::State::Done || !r.entry.contains("tg_tokens_per_second")) continue;
        categories << r.name;
        *pp << num(r.entry, "pp_tokens_per_second");
        *tg << num(r.entry, "tg_tokens_per_second");
        ppSd << num(r.entry, "pp_stddev");
        tgSd << num(r.entry, "tg_stddev");
    }
    auto* series = new QBarSeries;
    series->append(pp);
    series->append(tg);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    auto* y = new QValueAxis;
    y->setTitleText(tr("tokens/s"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    double top = 1;
    for (int i = 0; i < pp->count(); ++i) top = std::max({top, pp->at(i), tg->at(i)});
    y->setRange(0, top * 1.1);
    connect(series, &QBarSeries::hovered, this, [categories, ppSd, tgSd, pp](bool state, int index, QBarSet* set) {
        if (!state || index < 0 || index >= categories.size()) {
            QToolTip::hideText();
            return;
        }
        const double sd = set == pp ? ppSd[index] : tgSd[index];
        QToolTip::showText(QCursor::pos(), tr("%1 %2: %3 ± %4 tok/s").arg(categories[index], set->label()).arg(set->at(index), 0, 'f', 1).arg(sd, 0, 'f', 1));
    });
    connect(series, &QBarSeries::clicked, this, [this, categories](int index, QBarSet*) {
        if (index >= 0 && index < categories.size()) selectVariant(categories[index]);
    });
}

void CompareView::rebuildTable() {
    struct Col {
        QString title;
        std::function<QVariant(const VariantList::Row&)> get;
    };
    const nlohmann::json& results = m_variants->results();
    const double refPpl = results.is_object() && results.contains("reference_metrics") ? num(results["reference_metrics"], "ppl") : NAN;
    auto numberCol = [](const char* key) {
        return [key](const VariantList::Row& r) -> QVariant {
            const double v = num(r.entry, key);
            return std::isfinite(v) ? QVariant(v) : QVariant();
        };
    };
    const std::vector<Col> cols = {
        {tr("Variant"), [](const VariantList::Row& r) { return QVariant(r.name); }},
        {tr("Method"), [](const VariantList::Row& r) { return QVariant(QString::fromStdString(r.reference ? "reference" : r.entry.value("method", std::string()))); }},
        {tr("Bytes"), [](const VariantList::Row& r) { return r.entry.contains("bytes") ? QVariant(qulonglong(r.entry["bytes"].get<uint64_t>())) : QVariant(); }},
        {tr("Bits/weight"), numberCol("bpw")},
        {tr("PPL"), numberCol("ppl")},
        {tr("ΔPPL %"), [refPpl](const VariantList::Row& r) {
             const double p = num(r.entry, "ppl");
             return std::isfinite(p) && std::isfinite(refPpl) ? QVariant(100.0 * (p / refPpl - 1.0)) : QVariant();
         }},
        {tr("KLD mean"), numberCol("kld_mean")},
        {tr("KLD p99"), numberCol("kld_p99")},
        {tr("Top-1 %"), numberCol("top1_agreement")},
        {tr("MC acc/token %"), [](const VariantList::Row& r) {
             return r.entry.contains("mc") && r.entry["mc"].is_object() ? QVariant(num(r.entry["mc"], "acc_per_token")) : QVariant();
         }},
        {tr("Prefill tok/s"), numberCol("pp_tokens_per_second")},
        {tr("Decode tok/s"), numberCol("tg_tokens_per_second")},
        {tr("TTFT s"), numberCol("ttft_seconds")},
        {tr("Memory bytes"), [](const VariantList::Row& r) {
             return r.entry.contains("memory") && r.entry["memory"].is_object() ? QVariant(qulonglong(r.entry["memory"].value("total_bytes", uint64_t(0))))
                                                                                  : QVariant();
         }},
        {tr("Status"), [](const VariantList::Row& r) {
             return QVariant(r.state == VariantList::State::Done ? tr("ok") : r.state == VariantList::State::Failed ? tr("failed: ") + r.detail : QString());
         }},
    };
    QSignalBlocker block(m_table);
    m_table->setSortingEnabled(false);
    m_table->clear();
    m_table->setColumnCount(int(cols.size()));
    QStringList headers;
    for (const Col& c : cols) headers << c.title;
    m_table->setHorizontalHeaderLabels(headers);
    int n = 0;
    for (const auto& r : m_variants->rows()) n += r.state == VariantList::State::Done || r.state == VariantList::State::Failed;
    m_table->setRowCount(n);
    int row = 0;
    for (const auto& r : m_variants->rows()) {
        if (r.state != VariantList::State::Done && r.state != VariantList::State::Failed) continue;
        for (int c = 0; c < int(cols.size()); ++c) {
            auto* item = new QTableWidgetItem;
            const QVariant v = cols[size_t(c)].get(r);
            if (v.typeId() == QMetaType::Double) {
                item->setData(Qt::DisplayRole, v.toDouble()); // sorts numerically
                item->setData(Qt::UserRole, v);
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            } else {
                item->setData(Qt::DisplayRole, v);
                if (v.typeId() == QMetaType::ULongLong) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            }
            m_table->setItem(row, c, item);
        }
        ++row;
    }
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->resizeSections(QHeaderView::ResizeToContents);
}

void CompareView::selectVariant(const QString& name) {
    const int row = m_variants->rowOf(name);
    if (row < 0) return;
    m_selection->setCurrentIndex(m_variants->index(row), QItemSelectionModel::ClearAndSelect);
}

QString CompareView::selectedVariant() const {
    const QModelIndex i = m_selection->currentIndex();
    return i.isValid() ? i.data(VariantList::NameRole).toString() : QString();
}

void CompareView::showSelection() {
    const QString name = selectedVariant();
    for (QAbstractSeries* s : m_scatter->chart()->series())
        if (auto* sc = qobject_cast<QScatterSeries*>(s)) {
            const bool sel = sc->property("variant").toString() == name;
            sc->setBorderColor(sel ? palette().color(QPalette::Highlight) : palette().color(QPalette::Base));
            QPen pen = sc->pen();
            pen.setWidth(sel ? 4 : 1);
            sc->setPen(pen);
        }
    {
        QSignalBlocker block(m_table);
        m_table->clearSelection();
        for (int r = 0; r < m_table->rowCount(); ++r)
            if (m_table->item(r, 0) && m_table->item(r, 0)->text() == name) m_table->selectRow(r);
    }
    const int row = m_variants->rowOf(name);
    if (row >= 0 && m_variants->rows()[size_t(row)].entry.contains("tensors"))
        m_heatmap->setTensors(name, m_variants->rows()[size_t(row)].entry["tensors"]);
    else
        m_heatmap->setTensors(QString(), nlohmann::json::array());
}

bool CompareView::saveScatterPng(const QString& path) const { return m_scatter->grab().save(path, "PNG"); }
bool CompareView::saveSpeedPng(const QString& path) const { return m_speed->grab().save(path, "PNG"); }
bool CompareView::saveHeatmapPng(const QString& path) const { return m_heatmap->grab().save(path, "PNG"); }

bool CompareView::saveTableCsv(const QString& path, QString* error) const {
    QFile f(path + ".part");
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error) *error = tr("%1: cannot write: %2").arg(path, f.errorString());
        return false;
    }
    QTextStream out(&f);
    auto cell = [](QString s) {
        if (s.contains(',') || s.contains('"') || s.contains('\n')) s = '"' + s.replace("\"", "\"\"") + '"';
        return s;
    };
    QStringList header;
    for (int c = 0; c < m_table->columnCount(); ++c) header << cell(m_table->horizontalHeaderItem(c)->text());
    out << header.join(',') << '\n';
    for (int r = 0; r < m_table->rowCount(); ++r) {
        QStringList line;
        for (int c = 0; c < m_table->columnCount(); ++c) {
            const QTableWidgetItem* item = m_table->item(r, c);
            const QVariant exact = item ? item->data(Qt::UserRole) : QVariant();
            // full precision in the file, not the table's rounding
            line << cell(exact.isValid() ? QString::number(exact.toDouble(), 'g', 17) : item ? item->text() : QString());
        }
        out << line.join(',') << '\n';
    }
    out.flush();
    f.close();
    if (f.error() != QFile::NoError) {
        if (error) *error = tr("%1: write failed: %2").arg(path, f.errorString());
        QFile::remove(path + ".part");
        return false;
    }
    QFile::remove(path);
    if (!QFile::rename(path + ".part", path)) {
        if (error) *error = tr("%1: cannot move the finished file into place").arg(path);
        QFile::remove(path + ".part");
        return false;
    }
    return true;
}

void CompareView::exportDialog(int which) {
    const bool csv = which == 3;
    const QString path = QFileDialog::getSaveFileName(this, csv ? tr("Export table") : tr("Export chart"), QString(),
                                                      csv ? tr("CSV (*.csv)") : tr("PNG image (*.png)"));
    if (path.isEmpty()) return;
    QString error;
    const bool ok = which == 0 ? saveScatterPng(path) : which == 1 ? saveSpeedPng(path) : which == 2 ? saveHeatmapPng(path) : saveTableCsv(path, &error);
    if (!ok) QToolTip::showText(QCursor::pos(), error.isEmpty() ? tr("%1: could not be written").arg(path) : error);
}
