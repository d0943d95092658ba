#include "gui/model_info_view.h"

#include "chat/chat_template.h"
#include "gui/format.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {
QString shapeText(const std::vector<int64_t>& s) {
    QStringList parts;
    for (int64_t d : s) parts << QString::number(d);
    return parts.join(QString::fromUtf8(" × "));
}
} // namespace

ModelInfoView::ModelInfoView(QWidget* parent) : QWidget(parent) {
    m_summary = new QLabel(this);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_tensors = new QTableWidget(0, 5, this);
    m_tensors->setHorizontalHeaderLabels({tr("#"), tr("Tensor"), tr("Type"), tr("Shape"), tr("Bytes")});
    m_tensors->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_tensors->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tensors->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tensors->setSortingEnabled(true);
    m_tensors->verticalHeader()->hide();
    m_template = new QPlainTextEdit(this);
    m_template->setReadOnly(true);
    m_template->setPlaceholderText(tr("The chat template, rendered for a sample conversation"));
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_tensors);
    split->addWidget(m_template);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
    clear();
}

void ModelInfoView::clear() {
    m_summary->setText(tr("Drop a model here (GGUF file, HF safetensors folder, or llama2.c checkpoint), or use File ▸ Open."));
    m_tensors->setRowCount(0);
    m_template->clear();
}

QString ModelInfoView::templateSample() const { return m_template->toPlainText(); }

QString ModelInfoView::summaryText() const { return m_summary->text(); }

void ModelInfoView::showModel(const qb::Model& m) {
    const qb::ModelConfig& c = m.config;
    const QLocale loc;
    const int64_t params = m.parameterCount();
    const double bpw = params > 0 ? 8.0 * double(m.weightBytes()) / double(params) : 0.0;
    QString text = tr("<b>%1</b> — %2 (%3, %4)%5<br>").arg(QString::fromStdString(m.path).toHtmlEscaped(), QString::fromStdString(c.archName),
                                                            QString::fromStdString(m.format), gui::bytesText(m.fileBytes),
                                                            c.synthetic ? tr(" — <i>synthetic weights</i>") : QString());
    if (!m.tensors.empty()) {
        text += tr("%1 layers, dim %2, %3 heads / %4 KV heads, FFN %5, context %6, RoPE scaling: %7<br>")
                    .arg(c.nLayers).arg(c.dim).arg(c.nHeads).arg(c.nKvHeads).arg(c.ffnDim).arg(c.contextLength)
                    .arg(QString::fromStdString(qb::ropeScalingText(c)));
        text += tr("%1 parameters, %2 bytes of weights, %3 bits per weight<br>")
                    .arg(loc.toString(qlonglong(params)), loc.toString(qulonglong(m.weightBytes()))).arg(bpw, 0, 'f', 3);
    }
    if (m.vocab) {
        text += tr("Tokenizer: %1, %2 tokens").arg(m.vocab->kind == qb::TokenizerKind::Spm ? tr("SentencePiece") : tr("byte-level BPE"))
                    .arg(m.vocab->size());
        text += m.vocab->chatTemplate.empty() ? tr("; no chat template (chat runs as plain completion)") : tr("; chat template present");
    } else {
        text += tr("No tokenizer");
    }
    m_summary->setText(text);
    m_template->clear();
    if (m.vocab && !m.vocab->chatTemplate.empty()) {
        const nlohmann::ordered_json sample = nlohmann::ordered_json::array(
            {{{"role", "system"}, {"content", "You are a helpful assistant."}}, {{"role", "user"}, {"content", "Hello!"}},
             {{"role", "assistant"}, {"content", "Hi! How can I help?"}}, {{"role", "user"}, {"content", "Tell me a story."}}});
        qb::ChatTemplateOptions o;
        o.addGenerationPrompt = true;
        const auto token = [&](int id) { return id >= 0 && id < m.vocab->size() ? m.vocab->tokens[size_t(id)] : std::string(); };
        o.bosToken = token(m.vocab->bos);
        o.eosToken = token(m.vocab->eos);
        try {
            m_template->setPlainText(QString::fromStdString(qb::renderChatTemplate(m.vocab->chatTemplate, sample, o)));
        } catch (const std::exception& e) {
            m_template->setPlainText(tr("The chat template cannot be rendered: %1\n\n%2").arg(QString::fromUtf8(e.what()),
                                                                                              QString::fromStdString(m.vocab->chatTemplate)));
        }
    } else {
        m_template->setPlainText(tr("No chat template: chat continues a plain transcript."));
    }

    m_tensors->setSortingEnabled(false);
    m_tensors->setRowCount(int(m.tensors.size()));
    for (int r = 0; r < int(m.tensors.size()); ++r) {
        const qb::Tensor& t = m.tensors[size_t(r)];
        auto* index = new QTableWidgetItem;
        index->setData(Qt::DisplayRole, r); // file order; sorts numerically
        m_tensors->setItem(r, 0, index);
        m_tensors->setItem(r, 1, new QTableWidgetItem(QString::fromStdString(t.name)));
        m_tensors->setItem(r, 2, new QTableWidgetItem(QString::fromStdString(qb::typeName(t.type))));
        m_tensors->setItem(r, 3, new QTableWidgetItem(shapeText(t.shape)));
        auto* bytes = new QTableWidgetItem;
        bytes->setData(Qt::DisplayRole, qulonglong(t.bytes));
        bytes->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_tensors->setItem(r, 4, bytes);
    }
    m_tensors->setSortingEnabled(true);
    m_tensors->sortItems(0, Qt::AscendingOrder);
}
