#include "gui/quantize_view.h"

#include "eval/memory.h"
#include "eval/recommend.h"
#include "gui/format.h"
#include "quant/precision_guide.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace {

enum Column { ColName, ColRtn, ColImatrix, ColGptq, ColAwq, ColBits, ColSize, ColMemory, ColFits, ColLoss, ColUse, ColCount };
const char* const kMethods[] = {"", "imatrix", "gptq", "awq"}; // ColRtn..ColAwq; rtn is the bare name

QSpinBox* spin(QWidget* parent, int lo, int hi, int value) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
}

} // namespace

QuantizeView::QuantizeView(QWidget* parent) : QWidget(parent) {
    m_summary = new QLabel(tr("Open a model to plan its precisions."), this);
    m_summary->setWordWrap(true);
    m_table = new QTableWidget(0, ColCount, this);
    m_table->setHorizontalHeaderLabels({tr("Precision"), tr("RTN"), tr("imatrix"), tr("GPTQ"), tr("AWQ"), tr("Bits/weight"), tr("File size"),
                                        tr("Memory @ ctx"), tr("Fits"), tr("Typical loss"), tr("Use case")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ColUse, QHeaderView::Stretch);
    m_table->setMinimumHeight(m_table->verticalHeader()->defaultSectionSize() * 12);
    m_table->horizontalHeaderItem(ColRtn)->setToolTip(tr("Round-to-nearest, as llama-quantize without an importance matrix"));
    m_table->horizontalHeaderItem(ColImatrix)->setToolTip(tr("Importance matrix from the calibration text (llama-imatrix)"));
    m_table->horizontalHeaderItem(ColGptq)->setToolTip(tr("GPTQ: error-compensating quantization with the calibration text (Q4_0, Q4_1, Q8_0; others RTN)"));
    m_table->horizontalHeaderItem(ColAwq)->setToolTip(tr("AWQ: activation-aware scaling with the calibration text, then RTN"));
    fillTable();

    // evaluation
    auto* evalBox = new QGroupBox(tr("Measure each variant"), this);
    m_text = new QLineEdit(this);
    m_tasks = new QLineEdit(this);
    m_tasks->setPlaceholderText(tr("optional: multiple-choice tasks (HellaSwag .txt or .jsonl)"));
    m_calib = new QLineEdit(this);
    m_calib->setPlaceholderText(tr("needed by imatrix / GPTQ / AWQ"));
    m_outDir = new QLineEdit(this);
    m_ctx = spin(this, 16, 1 << 20, 512);
    m_chunks = spin(this, 0, 100000, 20);
    m_chunks->setSpecialValueText(tr("all"));
    m_benchPp = spin(this, 1, 65536, 128);
    m_benchTg = spin(this, 1, 65536, 32);
    m_reps = spin(this, 1, 100, 2);
    m_group = new QComboBox(this);
    m_group->addItems({"32", "64", "128"});
    m_actOrder = new QCheckBox(tr("act-order"), this);
    m_reference = new QComboBox(this);
    m_reference->addItem(tr("the model as given"), "SOURCE");
    m_reference->addItem(tr("its F16 quantization"), "F16");
    auto pathRow = [this](QLineEdit* edit, const QString& title, bool folder) {
        auto* row = new QHBoxLayout;
        auto* b = new QPushButton(tr("…"), this);
        b->setMaximumWidth(32);
        connect(b, &QPushButton::clicked, this, [this, edit, title, folder] { browse(title, edit, folder); });
        row->addWidget(edit, 1);
        row->addWidget(b);
        return row;
    };
    auto* form = new QFormLayout;
    form->addRow(tr("Evaluation text"), pathRow(m_text, tr("Evaluation text"), false));
    form->addRow(tr("Tasks"), pathRow(m_tasks, tr("Multiple-choice tasks"), false));
    form->addRow(tr("Calibration text"), pathRow(m_calib, tr("Calibration text"), false));
    form->addRow(tr("Output folder"), pathRow(m_outDir, tr("Output folder"), true));
    auto* sizes = new QHBoxLayout;
    for (auto [label, w] : {std::pair<QString, QWidget*>{tr("Context"), m_ctx}, {tr("Chunks"), m_chunks}, {tr("Bench prefill"), m_benchPp},
                            {tr("decode"), m_benchTg}, {tr("runs"), m_reps}})
        sizes->addWidget(new QLabel(label, this)), sizes->addWidget(w);
    form->addRow(sizes);
    auto* methodRow = new QHBoxLayout;
    methodRow->addWidget(new QLabel(tr("GPTQ/AWQ group"), this));
    methodRow->addWidget(m_group);
    methodRow->addWidget(m_actOrder);
    methodRow->addWidget(new QLabel(tr("KLD reference"), this));
    methodRow->addWidget(m_reference);
    methodRow->addStretch(1);
    form->addRow(methodRow);
    evalBox->setLayout(form);

    m_run = new QPushButton(tr("Run"), this);
    m_run->setToolTip(tr("Quantize each checked precision and measure it (Ctrl+R)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    auto* runRow = new QHBoxLayout;
    runRow->addStretch(1);
    runRow->addWidget(m_cancel);
    runRow->addWidget(m_run);
    connect(m_run, &QPushButton::clicked, this, &QuantizeView::runRequested);
    connect(m_cancel, &QPushButton::clicked, this, &QuantizeView::cancelRequested);

    // budget planner
    auto* planBox = new QGroupBox(tr("Budget planner: what fits, from measured numbers"), this);
    m_budget = new QDoubleSpinBox(this);
    m_budget->setRange(0, 4096);
    m_budget->setDecimals(4);
    m_budget->setSuffix(" GB");
    m_budget->setSpecialValueText(tr("no limit"));
    m_budgetCtx = spin(this, 0, 1 << 20, 0);
    m_budgetCtx->setSpecialValueText(tr("model's"));
    m_useCase = new QComboBox(this);
    for (const auto& u : qb::useCases()) m_useCase->addItem(QString::fromStdString(u));
    auto* recommendButton = new QPushButton(tr("Recommend"), this);
    m_recommendation = new QTextBrowser(this);
    m_recommendation->setMaximumHeight(140);
    m_recommendation->setPlaceholderText(tr("Run a sweep (or open a results.json): the recommendation comes from its measured numbers."));
    auto* planRow = new QHBoxLayout;
    planRow->addWidget(new QLabel(tr("Fits in"), this));
    planRow->addWidget(m_budget);
    planRow->addWidget(new QLabel(tr("at context"), this));
    planRow->addWidget(m_budgetCtx);
    planRow->addWidget(new QLabel(tr("for"), this));
    planRow->addWidget(m_useCase);
    planRow->addWidget(recommendButton);
    planRow->addStretch(1);
    auto* planLayout = new QVBoxLayout;
    planLayout->addLayout(planRow);
    planLayout->addWidget(m_recommendation);
    planBox->setLayout(planLayout);
    connect(recommendButton, &QPushButton::clicked, this, &QuantizeView::recommend);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_summary);
    topLayout->addWidget(m_table, 1);
    topLayout->addWidget(evalBox);
    topLayout->addLayout(runRow);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(planBox);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(m_ctx, &QSpinBox::valueChanged, this, &QuantizeView::updatePredictions);
    for (QLineEdit* e : {m_text, m_tasks, m_calib, m_outDir}) connect(e, &QLineEdit::editingFinished, this, &QuantizeView::settingsChanged);
}

void QuantizeView::fillTable() {
    const auto& guide = qb::precisionGuide();
    m_table->setRowCount(int(guide.size()));
    for (int r = 0; r < int(guide.size()); ++r) {
        const qb::PrecisionInfo& p = guide[size_t(r)];
        auto* name = new QTableWidgetItem(QString::fromStdString(p.name));
        name->setToolTip(p.llamaCppLoads ? tr("llama.cpp loads this file") : tr("QuantBench's own type: llama.cpp cannot load this file"));
        m_table->setItem(r, ColName, name);
        for (int c = ColRtn; c <= ColAwq; ++c) {
            auto* item = new QTableWidgetItem;
            const bool offered = c == ColRtn || p.calibratable;
            item->setFlags(offered ? Qt::ItemIsEnabled | Qt::ItemIsUserCheckable : Qt::NoItemFlags);
            if (offered) item->setCheckState(Qt::Unchecked);
            m_table->setItem(r, c, item);
        }
        m_table->setItem(r, ColBits, new QTableWidgetItem(QString::fromStdString(p.bits)));
        m_table->setItem(r, ColSize, new QTableWidgetItem);
        m_table->setItem(r, ColMemory, new QTableWidgetItem);
        m_table->setItem(r, ColFits, new QTableWidgetItem);
        m_table->setItem(r, ColLoss, new QTableWidgetItem(QString::fromStdString(p.typicalLoss)));
        m_table->setItem(r, ColUse, new QTableWidgetItem(QString::fromStdString(p.useCase)));
        m_table->item(r, ColUse)->setToolTip(QString::fromStdString(p.useCase));
        m_table->item(r, ColLoss)->setToolTip(tr("Typical perplexity increase as llama-quantize lists it; this model's is measured by Run"));
    }
}

void QuantizeView::setModel(std::shared_ptr<const LoadedModel> model) {
    m_model = std::move(model);
    updatePredictions();
}

void QuantizeView::setDevice(const DeviceChoice& device) {
    m_device = device;
    updatePredictions();
}

void QuantizeView::updatePredictions() {
    const auto& guide = qb::precisionGuide();
    if (!m_model) return;
    const qb::Model& model = *m_model->model;
    const int ctx = m_ctx->value();
    const qb::MemoryUse base = qb::estimateMemory(model, m_device.cpu ? "cpu" : "vulkan", ctx, qb::KvCacheType::F16, std::min(ctx, 512));
    m_summary->setText(tr("%1: %2 parameters, %3 now. Sizes are predicted from llama-quantize's recipes for this model; memory is "
                          "weights + KV cache (F16) + scratch at context %4 on %5 (%6).")
                           .arg(QString::fromStdString(model.config.archName))
                           .arg(model.parameterCount())
                           .arg(gui::bytesText(model.fileBytes))
                           .arg(ctx)
                           .arg(m_device.name.isEmpty() ? tr("the default device") : m_device.name)
                           .arg(m_device.memoryBytes ? gui::bytesText(m_device.memoryBytes) : tr("size unknown")));
    for (int r = 0; r < int(guide.size()); ++r) {
        const std::string& name = guide[size_t(r)].name;
        const auto it = m_model->plans.find(name);
        if (it == m_model->plans.end()) {
            const auto err = m_model->planErrors.find(name);
            m_table->item(r, ColSize)->setText(tr("n/a"));
            m_table->item(r, ColSize)->setToolTip(err != m_model->planErrors.end() ? QString::fromStdString(err->second) : QString());
            continue;
        }
        const qb::VariantPlan& plan = it->second;
        m_table->item(r, ColBits)->setText(QString("%1 (%2)").arg(plan.bitsPerWeight(), 0, 'f', 2).arg(QString::fromStdString(guide[size_t(r)].bits)));
        m_table->item(r, ColSize)->setText(gui::bytesText(plan.fileBytes));
        m_table->item(r, ColSize)->setData(Qt::UserRole, QVariant::fromValue<qint64>(qint64(plan.fileBytes)));
        const uint64_t memory = base.total() - base.weights + plan.weightBytes;
        m_table->item(r, ColMemory)->setText(gui::bytesText(memory));
        m_table->item(r, ColMemory)->setToolTip(tr("weights %1 + KV cache %2 + scratch %3")
                                                    .arg(gui::bytesText(plan.weightBytes), gui::bytesText(base.kvCache), gui::bytesText(base.scratch)));
        const bool known = m_device.memoryBytes > 0;
        const bool fits = !known || memory <= m_device.memoryBytes;
        QTableWidgetItem* fit = m_table->item(r, ColFits);
        fit->setText(!known ? tr("?") : fits ? QString::fromUtf8("✓") : tr("✗ too large"));
        fit->setForeground(fits ? palette().text() : QBrush(QColor(210, 50, 50)));
        fit->setToolTip(known ? tr("%1 of %2 on %3").arg(gui::bytesText(memory), gui::bytesText(m_device.memoryBytes), m_device.name) : QString());
    }
}

qint64 QuantizeView::predictedBytes(const QString& precision) const {
    if (!m_model) return -1;
    const auto it = m_model->plans.find(precision.toStdString());
    return it == m_model->plans.end() ? -1 : qint64(it->second.fileBytes);
}

QStringList QuantizeView::checkedVariants() const {
    QStringList out;
    for (int r = 0; r < m_table->rowCount(); ++r)
        for (int c = ColRtn; c <= ColAwq; ++c) {
            const QTableWidgetItem* item = m_table->item(r, c);
            if (item && (item->flags() & Qt::ItemIsUserCheckable) && item->checkState() == Qt::Checked) {
                const QString name = m_table->item(r, ColName)->text();
                out << (c == ColRtn ? name : name + ":" + kMethods[c - ColRtn]);
            }
        }
    return out;
}

void QuantizeView::setCheckedVariants(const QStringList& names) {
    for (int r = 0; r < m_table->rowCount(); ++r)
        for (int c = ColRtn; c <= ColAwq; ++c) {
            QTableWidgetItem* item = m_table->item(r, c);
            if (!(item->flags() & Qt::ItemIsUserCheckable)) continue;
            const QString name = m_table->item(r, ColName)->text();
            item->setCheckState(names.contains(c == ColRtn ? name : name + ":" + kMethods[c - ColRtn]) ? Qt::Checked : Qt::Unchecked);
        }
}

std::optional<qb::SweepOptions> QuantizeView::sweepOptions(QString* error) const {
    auto fail = [error](const QString& e) {
        if (error) *error = e;
        return std::nullopt;
    };
    if (!m_model) return fail(tr("Open a model first (drop it on the window, or File ▸ Open)."));
    const QStringList variants = checkedVariants();
    if (variants.isEmpty()) return fail(tr("Tick at least one precision to make."));
    if (m_text->text().isEmpty()) return fail(tr("Choose an evaluation text (perplexity and KLD are measured on it)."));
    if (m_outDir->text().isEmpty()) return fail(tr("Choose an output folder for the quantized files and results.json."));
    qb::SweepOptions o;
    try {
        o.variants = qb::parseSweepTypes(variants.join(',').toStdString());
    } catch (const std::exception& e) {
        return fail(QString::fromUtf8(e.what()));
    }
    for (const auto& v : o.variants)
        if ((v.method != qb::QuantMethod::Rtn || v.mixBpw > 0) && m_calib->text().isEmpty())
            return fail(tr("%1 needs a calibration text.").arg(QString::fromStdString(v.name)));
    o.modelPath = m_model->model->path;
    o.textPath = m_text->text().toStdString();
    o.tasksPath = m_tasks->text().toStdString();
    o.calibrationPath = m_calib->text().toStdString();
    o.outDir = m_outDir->text().toStdString();
    o.reference = m_reference->currentData().toString().toStdString();
    o.ctx = m_ctx->value();
    o.chunks = m_chunks->value() == 0 ? -1 : m_chunks->value();
    o.benchPp = m_benchPp->value();
    o.benchTg = m_benchTg->value();
    o.benchRepetitions = m_reps->value();
    o.group = m_group->currentText().toInt();
    o.actOrder = m_actOrder->isChecked();
    o.run.device = m_device.id.toStdString();
    return o;
}

void QuantizeView::setRunning(bool running) {
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_table->setEnabled(!running);
}

void QuantizeView::setTextPath(const QString& p) { m_text->setText(p); }
void QuantizeView::setTasksPath(const QString& p) { m_tasks->setText(p); }
void QuantizeView::setCalibrationPath(const QString& p) { m_calib->setText(p); }
void QuantizeView::setOutputDir(const QString& p) { m_outDir->setText(p); }
QString QuantizeView::outputDir() const { return m_outDir->text(); }
QString QuantizeView::textPath() const { return m_text->text(); }
QString QuantizeView::tasksPath() const { return m_tasks->text(); }
QString QuantizeView::calibrationPath() const { return m_calib->text(); }
int QuantizeView::contextLength() const { return m_ctx->value(); }

void QuantizeView::setEvaluationSize(int ctx, int chunks, int benchPp, int benchTg, int repetitions) {
    m_ctx->setValue(ctx);
    m_chunks->setValue(chunks < 0 ? 0 : chunks);
    m_benchPp->setValue(benchPp);
    m_benchTg->setValue(benchTg);
    m_reps->setValue(repetitions);
}

QString QuantizeView::browse(const QString& title, QLineEdit* edit, bool folder) {
    const QString p = folder ? QFileDialog::getExistingDirectory(this, title, edit->text())
                             : QFileDialog::getOpenFileName(this, title, edit->text());
    if (!p.isEmpty()) {
        edit->setText(p);
        emit settingsChanged();
    }
    return p;
}

void QuantizeView::setResults(const nlohmann::json& results) { m_results = results; }

void QuantizeView::planBudget(double gigabytes, int ctx, const QString& useCase) {
    m_budget->setValue(gigabytes);
    m_budgetCtx->setValue(ctx);
    m_useCase->setCurrentText(useCase);
    recommend();
}

QString QuantizeView::recommendText() const { return m_recommendation->toPlainText(); }

void QuantizeView::recommend() {
    if (!m_results.is_object() || !m_results.contains("reference_metrics") || m_results.value("variants", nlohmann::json::array()).empty()) {
        m_recommendation->setPlainText(tr("No measured variants yet: run a sweep (or open a results.json) first. The recommendation "
                                          "comes from measured perplexity and KLD, not from the predictions above."));
        return;
    }
    qb::RecommendOptions o;
    o.useCase = m_useCase->currentText().toStdString();
    if (m_budget->value() > 0) o.maxBytes = uint64_t(m_budget->value() * 1e9);
    o.ctx = m_budgetCtx->value();
    try {
        const qb::Recommendation r = qb::recommend(m_results, o);
        QString html = "<p><b>" +
                       (r.choice ? tr("Recommended: %1").arg(QString::fromStdString(*r.choice)) : tr("Nothing measured fits these limits.")) +
                       "</b></p><p>" + QString::fromStdString(r.explanation).toHtmlEscaped() + "</p><ul>";
        for (const auto& c : r.candidates)
            html += "<li>" + QString::fromStdString(c.name).toHtmlEscaped() + ": " +
                    (c.accepted ? tr("within the limits") : QString::fromStdString(c.reason).toHtmlEscaped()) + "</li>";
        m_recommendation->setHtml(html + "</ul>");
    } catch (const std::exception& e) {
        m_recommendation->setPlainText(QString::fromUtf8(e.what()));
    }
}
