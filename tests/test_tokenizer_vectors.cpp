// llama.cpp's own tokenizer test vectors (test-tokenizer-0): every case of
// every vocabulary must encode to exactly the expected ids (no BOS, special
// tokens not parsed), and decode back to the input.
#include "model/model.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"

#include <QtTest>
#include <map>
#include <memory>
#include <sstream>

namespace {

std::vector<std::string> splitCases(const std::string& text) {
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> out;
    size_t from = 0;
    for (size_t pos; (pos = text.find(sep, from)) != std::string::npos; from = pos + sep.size()) out.push_back(text.substr(from, pos - from));
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::map<std::string, std::shared_ptr<qb::Tokenizer>>& cache() {
    static std::map<std::string, std::shared_ptr<qb::Tokenizer>> c; // one load per vocabulary file
    return c;
}

} // namespace

class TestTokenizerVectors : public QObject {
    Q_OBJECT
private slots:
    void encodeDecode_data() {
        QTest::addColumn<QString>("vocab");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("expected");
        for (const char* name : {"llama-spm", "gpt-2", "llama-bpe", "qwen2"}) {
            const std::string base = qbtest::sharedPath(std::string("vocab/ggml-vocab-") + name + ".gguf");
            const auto inputs = splitCases(qbtest::readFile(base + ".inp"));
            const auto outputs = lines(qbtest::readFile(base + ".out"));
            QVERIFY2(inputs.size() == outputs.size(), name);
            QVERIFY(inputs.size() > 30);
            for (size_t i = 0; i < inputs.size(); ++i)
                QTest::addRow("%s #%zu", name, i) << QString(name) << QByteArray::fromStdString(inputs[i]) << QString::fromStdString(outputs[i]);
        }
    }
    void encodeDecode() {
        QFETCH(QString, vocab);
        QFETCH(QByteArray, input);
        QFETCH(QString, expected);
        auto& tok = cache()[vocab.toStdString()];
        if (!tok) {
            qb::LoadOptions o;
            o.vocabOnly = true;
            auto model = qb::loadModel(qbtest::sharedPath("vocab/ggml-vocab-" + vocab.toStdString() + ".gguf"), o);
            tok = std::make_shared<qb::Tokenizer>(model->vocab);
        }
        const std::vector<int> ids = tok->encode(input.toStdString(), false, false);
        QStringList got;
        for (int id : ids) got << QString::number(id);
        QCOMPARE(got.join(' '), expected.trimmed());
        QCOMPARE(QByteArray::fromStdString(tok->decode(ids)), input);
    }
};

QTEST_APPLESS_MAIN(TestTokenizerVectors)
#include "test_tokenizer_vectors.moc"
