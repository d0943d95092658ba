#pragma once
// The Chat view: one variant, or two side by side (A/B) getting the same
// conversation with the same sampler and seed, both streaming at once. When
// both answers are in, the first token where they part is marked in both.
#include "chat/chat_session.h"
#include "run/runner.h"

#include <QWidget>

class ChatPane;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class VariantList;

class ChatView : public QWidget {
    Q_OBJECT
public:
    ChatView(VariantList* variants, QWidget* parent = nullptr);

    // Variants by name (rows of the list); B only with A/B on.
    void chooseVariants(const QString& a, const QString& b = {});
    void setAb(bool on);
    void setDevice(const QString& device); // open panes move to it (their conversations start again)
    void sendPrompt(const QString& text); // as if typed and sent
    void stop();
    void regenerate();
    void beginEdit(int messageIndex, const QString& text);
    void newChat();

    ChatPane* paneA() const { return m_a; }
    ChatPane* paneB() const { return m_b; }
    bool abMode() const;
    qb::ChatOptions settings() const;
    void setSettings(const qb::ChatOptions& o); // sampler, limits, system prompt
    QLabel* divergenceLabel() const { return m_divergence; }

signals:
    void busyChanged(bool busy);
    void memoryChanged(quint64 bytes);

private:
    void refreshVariants();
    void openPane(ChatPane* pane, QComboBox* combo);
    void updateButtons();
    void compareAnswers();
    qb::RunOptions runOptions() const;

    VariantList* m_variants;
    QString m_device;
    ChatPane* m_a;
    ChatPane* m_b;
    QComboBox* m_variantA;
    QComboBox* m_variantB;
    QCheckBox* m_ab;
    QLineEdit* m_system;
    QDoubleSpinBox* m_temperature;
    QDoubleSpinBox* m_topP;
    QSpinBox* m_topK;
    QDoubleSpinBox* m_minP;
    QSpinBox* m_maxTokens;
    QSpinBox* m_seed;
    QSpinBox* m_ctx;
    QComboBox* m_policy;
    QPlainTextEdit* m_input;
    QLabel* m_editing;
    QLabel* m_divergence;
    QPushButton* m_send;
    QPushButton* m_stop;
    QPushButton* m_regenerate;
    QPushButton* m_new;
    int m_editIndex = -1;
    quint64 m_memoryA = 0, m_memoryB = 0;
};
