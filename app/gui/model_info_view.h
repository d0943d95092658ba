#pragma once
// Shows what a loaded model holds: architecture, hyper-parameters, file size,
// tokenizer, context, chat template (present, and a sample rendered with it)
// and a sortable tensor table (file order, name, type, shape, bytes).
#include "model/model.h"

#include <QWidget>
#include <memory>

class QLabel;
class QPlainTextEdit;
class QTableWidget;

class ModelInfoView : public QWidget {
    Q_OBJECT
public:
    explicit ModelInfoView(QWidget* parent = nullptr);
    void showModel(const qb::Model& model);
    void clear();

    QTableWidget* tensorTable() const { return m_tensors; }
    QString summaryText() const;
    QString templateSample() const;

private:
    QLabel* m_summary;
    QPlainTextEdit* m_template;
    QTableWidget* m_tensors;
};
