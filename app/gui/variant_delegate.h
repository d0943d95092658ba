#pragma once
// Draws a variant row of the list: its state dot, its text, and while it is
// being made or measured, the stage's progress as a bar behind the text.
#include <QStyledItemDelegate>

class VariantDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};
