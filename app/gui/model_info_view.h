#pragma once
// Shows what a loaded model holds: architecture, hyper-parameters, tokenizer,
// and a sortable tensor table (file order, name, type, shape, bytes).
#include "model/model.h"

#include <QWidget>
#include <memory>

class QLabel;
class QTableWidget;

class ModelInfoView : public QWidget {
    Q_OBJECT
public:
    explicit ModelInfoView(QWidget* parent = nullptr);
    void showModel(const qb::Model& model);
    void clear();

    QTableWidget* tensorTable() const { return m_tensors; }
    QString summaryText() const;

private:
    QLabel* m_summary;
    QTableWidget* m_tensors;
};
