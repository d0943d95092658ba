#include "model/pretokenizer.h"

#include "common/error.h"

#include <QRegularExpression>
#include <QString>

namespace qb {

namespace {

struct Pattern {
    const char* name;
    const char* regex;
};

// Contractions are spelled case-insensitively without (?i:...) as llama.cpp does.
const Pattern kPatterns[] = {
    {"gpt-2", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"},
    {"llama-bpe",
     R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
    {"qwen2",
     R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
};

const char* aliasOf(const std::string& pre) {
    if (pre == "gpt-2" || pre == "default" || pre.empty()) return "gpt-2";
    if (pre == "llama-bpe" || pre == "llama3" || pre == "smaug-bpe") return "llama-bpe";
    if (pre == "qwen2" || pre == "stablelm2") return "qwen2";
    return nullptr;
}

} // namespace

struct Pretokenizer::Impl {
    QRegularExpression re;
};

std::string Pretokenizer::pattern(const std::string& pre) {
    const char* canonical = aliasOf(pre);
    if (!canonical)
        throw Error("tokenizer.ggml.pre: unknown BPE pre-tokenizer '" + pre + "', expected one of gpt-2, llama-bpe, qwen2");
    for (const auto& p : kPatterns)
        if (std::string(p.name) == canonical) return p.regex;
    throw Error("internal: no pattern for pre-tokenizer '" + pre + "'", ErrorKind::Internal);
}

Pretokenizer::Pretokenizer(const std::string& pre) : m_impl(std::make_unique<Impl>()) {
    m_impl->re = QRegularExpression(QString::fromStdString(pattern(pre)), QRegularExpression::UseUnicodePropertiesOption);
    if (!m_impl->re.isValid())
        throw Error("internal: pre-tokenizer regex for '" + pre + "' does not compile: " + m_impl->re.errorString().toStdString(),
                    ErrorKind::Internal);
}

Pretokenizer::~Pretokenizer() = default;

std::vector<std::string> Pretokenizer::split(const std::string& text) const {
    const QString s = QString::fromUtf8(text.data(), qsizetype(text.size()));
    std::vector<std::string> words;
    qsizetype last = 0;
    auto it = m_impl->re.globalMatch(s);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedStart() > last) words.push_back(s.mid(last, m.capturedStart() - last).toStdString()); // unmatched gap
        if (m.capturedLength() > 0) words.push_back(m.captured().toStdString());
        last = m.capturedEnd();
    }
    if (last < s.size()) words.push_back(s.mid(last).toStdString());
    return words;
}

} // namespace qb
