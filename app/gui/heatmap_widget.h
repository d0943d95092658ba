#pragma once
// Where the bits went: the quantizer's error for one variant as a grid of
// layer (rows) × tensor kind (columns), coloured by relative error or SNR.
// Tensors outside the layers (embeddings, output) form a row of their own.
#include <QWidget>
#include <nlohmann/json.hpp>

class HeatmapWidget : public QWidget {
    Q_OBJECT
public:
    enum class Metric { RelativeError, SnrDb };
    explicit HeatmapWidget(QWidget* parent = nullptr);

    // `tensors`: a results.json variant's "tensors" list.
    void setTensors(const QString& variant, const nlohmann::json& tensors);
    void setMetric(Metric m);
    int cellCount() const;              // cells with a value
    QString cellText(int row, int column) const; // tooltip text ("" for an empty cell)
    const QStringList& rowLabels() const { return m_rows; }
    const QStringList& columnLabels() const { return m_columns; }

protected:
    void paintEvent(QPaintEvent*) override;
    bool event(QEvent* e) override; // tooltips
    QSize sizeHint() const override { return {640, 360}; }

private:
    struct Cell {
        bool present = false;
        double relError = 0, snrDb = 0;
        QString tensor, type, method;
    };
    QRect gridRect() const;
    double value(const Cell& c) const;

    QString m_variant;
    Metric m_metric = Metric::RelativeError;
    QStringList m_rows, m_columns;
    std::vector<std::vector<Cell>> m_cells; // [row][column]
    double m_min = 0, m_max = 1;
};
