#include "gui/variant_delegate.h"

#include "gui/variant_list.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>

void VariantDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const auto state = VariantList::State(index.data(VariantList::StateRole).toInt());
    if (state == VariantList::State::Quantizing || state == VariantList::State::Measuring) {
        const double f = std::clamp(index.data(VariantList::ProgressRole).toDouble(), 0.0, 1.0);
        QRect bar = option.rect.adjusted(1, 1, -1, -1);
        bar.setWidth(int(bar.width() * f));
        QColor c = option.palette.color(QPalette::Highlight);
        c.setAlpha(60);
        p->fillRect(bar, c);
    }
    QStyleOptionViewItem o = option;
    initStyleOption(&o, index);
    // the decoration is a colour: draw it as a dot
    const QColor dot = index.data(Qt::DecorationRole).value<QColor>();
    o.features &= ~QStyleOptionViewItem::HasDecoration;
    o.icon = QIcon();
    o.decorationSize = QSize();
    o.rect.adjust(18, 0, 0, 0);
    const QWidget* w = option.widget;
    (w ? w->style() : QApplication::style())->drawControl(QStyle::CE_ItemViewItem, &o, p, w);
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    p->setPen(Qt::NoPen);
    p->setBrush(dot);
    p->drawEllipse(QPointF(option.rect.left() + 9, option.rect.center().y() + 0.5), 5, 5);
    p->restore();
}

QSize VariantDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    return {s.width() + 18, std::max(s.height(), 22)};
}
