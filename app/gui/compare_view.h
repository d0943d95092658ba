#pragma once
// The Compare view (Qt Charts): size vs quality with the Pareto frontier and
// the reference marked, prefill/decode tok/s as grouped bars, every number in
// a sortable table, and the per-layer error heatmap of the selected variant.
// Hover shows exact values; clicking a variant selects it everywhere (the
// variant list's selection model). Charts export as PNG, the table as CSV.
#include <QWidget>
#include <nlohmann/json.hpp>

class HeatmapWidget;
class QChart;
class QChartView;
class QComboBox;
class QItemSelectionModel;
class QLabel;
class QTableWidget;
class VariantList;

class CompareView : public QWidget {
    Q_OBJECT
public:
    CompareView(VariantList* variants, QItemSelectionModel* selection, QWidget* parent = nullptr);

    // y axis of the scatter: kld_mean, kld_p99, ppl, top1_agreement, mc_acc
    void setQualityMetric(const QString& key);
    QStringList qualityMetrics() const;
    void selectVariant(const QString& name);
    QString selectedVariant() const;

    bool saveScatterPng(const QString& path) const;
    bool saveSpeedPng(const QString& path) const;
    bool saveHeatmapPng(const QString& path) const;
    bool saveTableCsv(const QString& path, QString* error = nullptr) const;

    // for tests: what the charts hold
    QChart* scatterChart() const;
    QChart* speedChart() const;
    QTableWidget* table() const { return m_table; }
    HeatmapWidget* heatmap() const { return m_heatmap; }
    int variantPointCount() const; // points of measured variants in the scatter (reference excluded)
    QStringList frontier() const { return m_frontier; }

protected:
    void changeEvent(QEvent* e) override; // the system palette changed (dark mode): redraw the charts in it

private:
    void rebuild();
    void rebuildScatter();
    void rebuildSpeed();
    void rebuildTable();
    void showSelection();
    void exportDialog(int which);

    VariantList* m_variants;
    QItemSelectionModel* m_selection;
    QComboBox* m_metric;
    QComboBox* m_heatMetric;
    QChartView* m_scatter;
    QChartView* m_speed;
    QTableWidget* m_table;
    HeatmapWidget* m_heatmap;
    QLabel* m_about;
    QStringList m_frontier;
};
