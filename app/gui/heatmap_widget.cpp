#include "gui/heatmap_widget.h"

#include <QHelpEvent>
#include <QPainter>
#include <QRegularExpression>
#include <QToolTip>
#include <cmath>
#include <limits>
#include <map>

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setMinimumHeight(200);
}

void HeatmapWidget::setTensors(const QString& variant, const nlohmann::json& tensors) {
    m_variant = variant;
    m_rows.clear();
    m_columns.clear();
    m_cells.clear();
    static const QRegularExpression layer(R"(^blk\.(\d+)\.(.+?)(\.weight)?$)");
    std::map<int, int> rowOf;    // layer -> row
    std::map<QString, int> colOf; // kind -> column
    struct Item { int layer; QString kind; Cell cell; };
    std::vector<Item> items;
    for (const auto& t : tensors) {
        if (!t.is_object() || t.value("method", std::string()) == "copy") continue; // unquantized (norms): no error to show
        const QString name = QString::fromStdString(t.value("name", std::string()));
        Item it;
        const auto m = layer.match(name);
        it.layer = m.hasMatch() ? m.captured(1).toInt() : -1;
        it.kind = m.hasMatch() ? m.captured(2) : name.section('.', 0, 0);
        it.cell.present = true;
        it.cell.relError = t.value("rel_frobenius", 0.0);
        it.cell.snrDb = t["snr_db"].is_number() ? t["snr_db"].get<double>() : std::numeric_limits<double>::infinity();
        it.cell.tensor = name;
        it.cell.type = QString::fromStdString(t.value("type", std::string()));
        it.cell.method = QString::fromStdString(t.value("method", std::string()));
        items.push_back(it);
        rowOf.emplace(it.layer, 0);
        colOf.emplace(it.kind, 0);
    }
    int r = 0;
    for (auto& [l, row] : rowOf) {
        row = r++;
        m_rows << (l < 0 ? tr("model") : tr("layer %1").arg(l));
    }
    int c = 0;
    for (auto& [k, col] : colOf) {
        col = c++;
        m_columns << k;
    }
    m_cells.assign(size_t(m_rows.size()), std::vector<Cell>(size_t(m_columns.size())));
    for (const Item& it : items) m_cells[size_t(rowOf[it.layer])][size_t(colOf[it.kind])] = it.cell;
    setMetric(m_metric);
}

void HeatmapWidget::setMetric(Metric m) {
    m_metric = m;
    m_min = std::numeric_limits<double>::infinity();
    m_max = -m_min;
    for (const auto& row : m_cells)
        for (const Cell& c : row)
            if (c.present && std::isfinite(value(c))) {
                m_min = std::min(m_min, value(c));
                m_max = std::max(m_max, value(c));
            }
    if (!(m_max > m_min)) m_max = m_min + 1e-12;
    update();
}

double HeatmapWidget::value(const Cell& c) const { return m_metric == Metric::RelativeError ? c.relError : c.snrDb; }

int HeatmapWidget::cellCount() const {
    int n = 0;
    for (const auto& row : m_cells)
        for (const Cell& c : row) n += c.present;
    return n;
}

QString HeatmapWidget::cellText(int row, int column) const {
    if (row < 0 || column < 0 || row >= int(m_cells.size()) || column >= int(m_cells[size_t(row)].size())) return {};
    const Cell& c = m_cells[size_t(row)][size_t(column)];
    if (!c.present) return {};
    return tr("%1\n%2 (%3)\nrelative error %4\nSNR %5 dB")
        .arg(c.tensor, c.type, c.method)
        .arg(c.relError, 0, 'g', 4)
        .arg(std::isfinite(c.snrDb) ? QString::number(c.snrDb, 'f', 2) : tr("∞ (exact)"));
}

QRect HeatmapWidget::gridRect() const {
    const QFontMetrics fm(font());
    const int left = fm.horizontalAdvance("layer 000") + 12;
    const int top = fm.height() + 8, bottom = fm.height() * 2 + 12;
    return QRect(left, top, std::max(10, width() - left - 90), std::max(10, height() - top - bottom));
}

void HeatmapWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QFontMetrics fm(font());
    if (m_cells.empty()) {
        p.setPen(palette().text().color());
        p.drawText(rect(), Qt::AlignCenter, tr("Select a measured variant to see the quantizer's error per layer and tensor."));
        return;
    }
    const QRect g = gridRect();
    const double cw = double(g.width()) / double(m_columns.size()), ch = double(g.height()) / double(m_rows.size());
    // colour: low error (or high SNR) cool, high error warm
    auto colour = [&](double v) {
        double t = (v - m_min) / (m_max - m_min);
        if (m_metric == Metric::SnrDb) t = 1.0 - t;
        t = std::clamp(t, 0.0, 1.0);
        return QColor::fromHsvF(float((1.0 - t) * 0.66), 0.85f, 0.95f);
    };
    for (int r = 0; r < int(m_rows.size()); ++r)
        for (int c = 0; c < int(m_columns.size()); ++c) {
            const QRectF cell(g.left() + c * cw, g.top() + r * ch, cw, ch);
            const Cell& x = m_cells[size_t(r)][size_t(c)];
            p.fillRect(cell.adjusted(0.5, 0.5, -0.5, -0.5), x.present ? (std::isfinite(value(x)) ? colour(value(x)) : QColor(60, 60, 200)) : palette().window().color());
        }
    p.setPen(palette().text().color());
    p.drawText(QRect(0, 0, width(), fm.height() + 4), Qt::AlignCenter,
               tr("%1 — %2 per tensor").arg(m_variant, m_metric == Metric::RelativeError ? tr("relative error ‖W−Q‖/‖W‖") : tr("SNR (dB)")));
    for (int r = 0; r < int(m_rows.size()); ++r)
        p.drawText(QRectF(0, g.top() + r * ch, g.left() - 6, ch), Qt::AlignRight | Qt::AlignVCenter, m_rows[r]);
    for (int c = 0; c < int(m_columns.size()); ++c)
        p.drawText(QRectF(g.left() + c * cw, g.bottom() + 4, cw, fm.height() * 2 + 4), Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap,
                   m_columns[c]);
    // scale
    const QRect bar(g.right() + 16, g.top(), 14, g.height());
    for (int y = 0; y < bar.height(); ++y) {
        const double t = 1.0 - double(y) / std::max(1, bar.height() - 1);
        p.setPen(colour(m_min + t * (m_max - m_min)));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(palette().text().color());
    p.drawText(bar.right() + 4, bar.top() + fm.ascent(), QString::number(m_max, 'g', 3));
    p.drawText(bar.right() + 4, bar.bottom(), QString::number(m_min, 'g', 3));
}

bool HeatmapWidget::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip && !m_cells.empty()) {
        auto* h = static_cast<QHelpEvent*>(e);
        const QRect g = gridRect();
        if (g.contains(h->pos())) {
            const int c = int(double(h->pos().x() - g.left()) / (double(g.width()) / double(m_columns.size())));
            const int r = int(double(h->pos().y() - g.top()) / (double(g.height()) / double(m_rows.size())));
            const QString text = cellText(r, c);
            if (!text.isEmpty()) QToolTip::showText(h->globalPos(), text, this);
            else QToolTip::hideText();
            return true;
        }
    }
    return QWidget::event(e);
}
