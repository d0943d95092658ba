#include "gui/chat_view.h"

#include "chat/divergence.h"
#include "gui/chat_pane.h"
#include "gui/variant_list.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

ChatView::ChatView(VariantList* variants, QWidget* parent) : QWidget(parent), m_variants(variants) {
    m_variantA = new QComboBox(this);
    m_variantB = new QComboBox(this);
    m_ab = new QCheckBox(tr("A/B: same conversation to two variants"), this);
    m_variantA->setMinimumContentsLength(14);
    m_variantB->setMinimumContentsLength(14);
    auto* pick = new QHBoxLayout;
    pick->addWidget(new QLabel(tr("Variant A:"), this));
    pick->addWidget(m_variantA);
    pick->addWidget(m_ab);
    pick->addWidget(new QLabel(tr("Variant B:"), this));
    pick->addWidget(m_variantB);
    pick->addStretch(1);

    // sampler and limits: the same for both panes
    auto* settingsBox = new QGroupBox(tr("Settings (both panes)"), this);
    m_system = new QLineEdit(this);
    m_system->setPlaceholderText(tr("System prompt (optional)"));
    m_temperature = new QDoubleSpinBox(this);
    m_temperature->setRange(0, 2);
    m_temperature->setSingleStep(0.1);
    m_temperature->setValue(0);
    m_temperature->setToolTip(tr("0 = greedy: the answers are deterministic, and A/B shows where they part"));
    m_topP = new QDoubleSpinBox(this);
    m_topP->setRange(0.01, 1);
    m_topP->setSingleStep(0.05);
    m_topP->setValue(0.95);
    m_topK = new QSpinBox(this);
    m_topK->setRange(0, 1000);
    m_topK->setValue(40);
    m_minP = new QDoubleSpinBox(this);
    m_minP->setRange(0, 1);
    m_minP->setSingleStep(0.01);
    m_minP->setValue(0.05);
    m_maxTokens = new QSpinBox(this);
    m_maxTokens->setRange(1, 32768);
    m_maxTokens->setValue(256);
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(42);
    m_ctx = new QSpinBox(this);
    m_ctx->setRange(0, 1 << 20);
    m_ctx->setSpecialValueText(tr("model's"));
    m_ctx->setToolTip(tr("Context length in tokens (applies when a variant is opened)"));
    m_policy = new QComboBox(this);
    m_policy->addItem(tr("stop the answer"), int(qb::ContextPolicy::Stop));
    m_policy->addItem(tr("drop the oldest turns"), int(qb::ContextPolicy::DropOldest));
    auto* form = new QFormLayout;
    form->addRow(tr("System prompt"), m_system);
    auto* row1 = new QHBoxLayout;
    for (auto [label, w] : {std::pair<QString, QWidget*>{tr("Temperature"), m_temperature}, {tr("Top-p"), m_topP}, {tr("Top-k"), m_topK},
                            {tr("Min-p"), m_minP}})
        row1->addWidget(new QLabel(label, this)), row1->addWidget(w);
    form->addRow(row1);
    auto* row2 = new QHBoxLayout;
    for (auto [label, w] : {std::pair<QString, QWidget*>{tr("Max tokens"), m_maxTokens}, {tr("Seed"), m_seed}, {tr("Context"), m_ctx},
                            {tr("When the context is full"), m_policy}})
        row2->addWidget(new QLabel(label, this)), row2->addWidget(w);
    form->addRow(row2);
    settingsBox->setLayout(form);

    m_a = new ChatPane(tr("A"), this);
    m_b = new ChatPane(tr("B"), this);
    auto* panes = new QSplitter(Qt::Horizontal, this);
    panes->addWidget(m_a);
    panes->addWidget(m_b);
    m_b->hide();
    m_divergence = new QLabel(this);
    m_divergence->setWordWrap(true);

    m_input = new QPlainTextEdit(this);
    m_input->setPlaceholderText(tr("Type a message — Ctrl+Enter sends, Esc stops"));
    m_input->setMaximumHeight(90);
    m_editing = new QLabel(this);
    m_editing->hide();
    m_send = new QPushButton(tr("Send"), this);
    m_stop = new QPushButton(tr("Stop"), this);
    m_regenerate = new QPushButton(tr("Regenerate"), this);
    m_new = new QPushButton(tr("New chat"), this);
    auto* buttons = new QVBoxLayout;
    for (QPushButton* b : {m_send, m_stop, m_regenerate, m_new}) buttons->addWidget(b);
    auto* inputRow = new QHBoxLayout;
    inputRow->addWidget(m_input, 1);
    inputRow->addLayout(buttons);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(pick);
    layout->addWidget(settingsBox);
    layout->addWidget(panes, 1);
    layout->addWidget(m_divergence);
    layout->addWidget(m_editing);
    layout->addLayout(inputRow);

    connect(m_send, &QPushButton::clicked, this, [this] { sendPrompt(m_input->toPlainText()); });
    connect(m_stop, &QPushButton::clicked, this, &ChatView::stop);
    connect(m_regenerate, &QPushButton::clicked, this, &ChatView::regenerate);
    connect(m_new, &QPushButton::clicked, this, &ChatView::newChat);
    auto* sendKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_input);
    connect(sendKey, &QShortcut::activated, m_send, &QPushButton::click);
    auto* stopKey = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    connect(stopKey, &QShortcut::activated, this, &ChatView::stop);
    connect(m_ab, &QCheckBox::toggled, this, &ChatView::setAb);
    connect(m_variantA, &QComboBox::currentIndexChanged, this, [this] { openPane(m_a, m_variantA); });
    connect(m_variantB, &QComboBox::currentIndexChanged, this, [this] { if (abMode()) openPane(m_b, m_variantB); });
    for (ChatPane* p : {m_a, m_b}) {
        connect(p, &ChatPane::opened, this, &ChatView::updateButtons);
        connect(p, &ChatPane::turnStarted, this, &ChatView::updateButtons);
        connect(p, &ChatPane::turnFinished, this, [this] {
            compareAnswers();
            updateButtons();
        });
        connect(p, &ChatPane::failed, this, &ChatView::updateButtons);
        connect(p, &ChatPane::editRequested, this, &ChatView::beginEdit);
    }
    connect(m_a, &ChatPane::memoryChanged, this, [this](quint64 b) { m_memoryA = b; emit memoryChanged(m_memoryA + m_memoryB); });
    connect(m_b, &ChatPane::memoryChanged, this, [this](quint64 b) { m_memoryB = b; emit memoryChanged(m_memoryA + m_memoryB); });
    connect(m_variants, &VariantList::resultsChanged, this, &ChatView::refreshVariants);
    connect(m_variants, &QAbstractItemModel::modelReset, this, &ChatView::refreshVariants);
    refreshVariants();
    updateButtons();
}

bool ChatView::abMode() const { return m_ab->isChecked(); }

void ChatView::setDevice(const QString& device) {
    if (device == m_device) return;
    m_device = device;
    if (!m_a->variantPath().isEmpty()) openPane(m_a, m_variantA);
    if (abMode() && !m_b->variantPath().isEmpty()) openPane(m_b, m_variantB);
}

void ChatView::refreshVariants() {
    // done variants (and the reference) by name, with the file they run
    for (QComboBox* c : {m_variantA, m_variantB}) {
        const QString current = c->currentText();
        QSignalBlocker block(c);
        c->clear();
        for (int r = 0; r < m_variants->rowCount(); ++r)
            if (m_variants->isDone(r) && !m_variants->fileOf(r).isEmpty())
                c->addItem(m_variants->rows()[size_t(r)].name, m_variants->fileOf(r));
        const int keep = c->findText(current);
        c->setCurrentIndex(keep >= 0 ? keep : c == m_variantA || c->count() < 2 ? (c->count() > 0 ? 0 : -1) : c->count() - 1);
    }
    // a pane whose variant changed (another model opened, a sweep replaced the list) opens the new one
    if (m_a->variantPath() != m_variantA->currentData().toString()) openPane(m_a, m_variantA);
    if (abMode() && m_b->variantPath() != m_variantB->currentData().toString()) openPane(m_b, m_variantB);
    updateButtons();
}

void ChatView::chooseVariants(const QString& a, const QString& b) {
    const int ia = m_variantA->findText(a);
    if (ia >= 0 && ia != m_variantA->currentIndex()) m_variantA->setCurrentIndex(ia);
    else if (ia >= 0 && m_a->variantName() != a) openPane(m_a, m_variantA);
    if (!b.isEmpty()) {
        const int ib = m_variantB->findText(b);
        if (ib >= 0) {
            QSignalBlocker block(m_variantB);
            m_variantB->setCurrentIndex(ib);
            if (abMode() && m_b->variantName() != b) openPane(m_b, m_variantB);
        }
    }
}

void ChatView::setAb(bool on) {
    if (m_ab->isChecked() != on) {
        m_ab->setChecked(on); // comes back here through toggled
        return;
    }
    m_b->setVisible(on);
    if (on && m_variantB->currentIndex() >= 0 && m_b->variantName() != m_variantB->currentText()) openPane(m_b, m_variantB);
    // the same conversation: a fresh start for both
    if (on) newChat();
    m_divergence->clear();
    updateButtons();
}

qb::RunOptions ChatView::runOptions() const {
    qb::RunOptions r;
    r.device = m_device.toStdString();
    r.contextLength = m_ctx->value();
    return r;
}

qb::ChatOptions ChatView::settings() const {
    qb::ChatOptions o;
    o.systemPrompt = m_system->text().toStdString();
    o.sampling.temperature = float(m_temperature->value());
    o.sampling.topP = float(m_topP->value());
    o.sampling.topK = m_topK->value();
    o.sampling.minP = float(m_minP->value());
    o.sampling.seed = uint64_t(m_seed->value());
    o.maxTokens = m_maxTokens->value();
    o.contextPolicy = qb::ContextPolicy(m_policy->currentData().toInt());
    return o;
}

void ChatView::setSettings(const qb::ChatOptions& o) {
    m_system->setText(QString::fromStdString(o.systemPrompt));
    m_temperature->setValue(o.sampling.temperature);
    m_topP->setValue(o.sampling.topP);
    m_topK->setValue(o.sampling.topK);
    m_minP->setValue(o.sampling.minP);
    m_seed->setValue(int(o.sampling.seed));
    m_maxTokens->setValue(o.maxTokens);
    m_policy->setCurrentIndex(m_policy->findData(int(o.contextPolicy)));
}

void ChatView::openPane(ChatPane* pane, QComboBox* combo) {
    if (combo->currentIndex() < 0 || pane->busy()) return;
    pane->openVariant(combo->currentText(), combo->currentData().toString(), runOptions(), settings());
    m_divergence->clear();
    updateButtons();
}

void ChatView::sendPrompt(const QString& text) {
    if (text.trimmed().isEmpty()) return;
    const qb::ChatOptions s = settings();
    const bool ab = abMode();
    if (!m_a->ready() || (ab && !m_b->ready())) return;
    m_divergence->clear();
    if (m_editIndex >= 0) {
        m_a->edit(m_editIndex, text, s);
        if (ab) m_b->edit(m_editIndex, text, s);
    } else {
        m_a->send(text, s);
        if (ab) m_b->send(text, s);
    }
    m_editIndex = -1;
    m_editing->hide();
    m_input->clear();
    updateButtons();
}

void ChatView::stop() {
    m_a->stop();
    m_b->stop();
}

void ChatView::regenerate() {
    const qb::ChatOptions s = settings();
    m_divergence->clear();
    m_a->regenerate(s);
    if (abMode()) m_b->regenerate(s);
    updateButtons();
}

void ChatView::beginEdit(int messageIndex, const QString& text) {
    m_editIndex = messageIndex;
    m_input->setPlainText(text);
    m_editing->setText(tr("Editing message %1: Send replaces it and what follows (the session rolls back, the cache keeps the rest)")
                           .arg(messageIndex + 1));
    m_editing->show();
    m_input->setFocus();
}

void ChatView::newChat() {
    m_a->newChat();
    m_b->newChat();
    m_editIndex = -1;
    m_editing->hide();
    m_divergence->clear();
    updateButtons();
}

void ChatView::compareAnswers() {
    if (!abMode() || m_a->busy() || m_b->busy() || m_a->replyPieces().empty() || m_b->replyPieces().empty()) return;
    const auto at = qb::firstDifferentPiece(m_a->replyPieces(), m_b->replyPieces());
    m_a->markDivergence(at);
    m_b->markDivergence(at);
    const bool greedy = settings().sampling.temperature <= 0;
    if (!at) m_divergence->setText(tr("The two answers are identical (%1 tokens).").arg(m_a->replyPieces().size()));
    else
        m_divergence->setText(tr("The answers part at token %1 (marked in both)%2.")
                                  .arg(*at + 1)
                                  .arg(greedy ? QString() : tr(" — sampling is on (temperature > 0): set it to 0 to see what the quantization alone changed")));
}

void ChatView::updateButtons() {
    const bool ab = abMode();
    const bool busy = m_a->busy() || (ab && m_b->busy());
    const bool ready = m_a->ready() && (!ab || m_b->ready());
    m_send->setEnabled(ready);
    m_regenerate->setEnabled(ready && !m_a->messages().empty());
    m_new->setEnabled(!busy);
    m_stop->setEnabled(busy);
    m_variantA->setEnabled(!busy);
    m_variantB->setEnabled(!busy && ab);
    m_ab->setEnabled(!busy);
    emit busyChanged(busy);
}
