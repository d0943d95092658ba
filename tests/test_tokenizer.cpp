// Tokenizer behaviour beyond the vectors: special tokens, BOS, the llama2.c
// tokenizer agreeing with the GGUF one, pieces and decoding.
#include "common/error.h"
#include "model/hf_tokenizer_json.h"
#include "model/model.h"
#include "model/hf_export.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"

#include <QtTest>

using namespace qb;

namespace {
std::shared_ptr<const Vocab> vocabOf(const std::string& rel, const std::string& tokenizer = {}) {
    LoadOptions o;
    o.vocabOnly = true;
    o.tokenizerPath = tokenizer.empty() ? std::string() : qbtest::sharedPath(tokenizer);
    return loadModel(qbtest::sharedPath(rel), o)->vocab;
}
} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT
private slots:
    void specialTokensParsedOnlyWhenAsked() {
        Tokenizer tok(vocabOf("vocab/ggml-vocab-qwen2.gguf"));
        const int imStart = tok.vocab().find("<|im_start|>");
        QVERIFY(imStart > 0);
        const auto parsed = tok.encode("<|im_start|>user", false, true);
        QCOMPARE(parsed.front(), imStart);
        const auto plain = tok.encode("<|im_start|>user", false, false);
        QVERIFY(std::find(plain.begin(), plain.end(), imStart) == plain.end());
        QCOMPARE(tok.decode(plain), std::string("<|im_start|>user"));
        QCOMPARE(tok.decode(parsed), std::string("user"));          // control tokens hidden by default
        QCOMPARE(tok.decode(parsed, true), std::string("<|im_start|>user"));
    }
    void bosFollowsTheVocabulary() {
        Tokenizer spm(vocabOf("models/stories260K.gguf"));
        QCOMPARE(spm.encode("Hello", true, true).front(), 1);
        QVERIFY(spm.encode("Hello", false, true).front() != 1);
        Tokenizer llama3(vocabOf("vocab/ggml-vocab-llama-bpe.gguf"));
        QCOMPARE(llama3.encode("Hello", true, true).front(), llama3.vocab().find("<|begin_of_text|>"));
        Tokenizer gpt2(vocabOf("vocab/ggml-vocab-gpt-2.gguf"));
        QCOMPARE(gpt2.encode("Hello", true, true), gpt2.encode("Hello", false, true));
    }
    void llama2cTokenizerMatchesGguf() {
        Tokenizer gguf(vocabOf("models/stories260K.gguf"));
        Tokenizer l2c(vocabOf("models/llama2c/stories260K.bin", "models/llama2c/tok512.bin"));
        const std::string text = qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt"));
        const auto a = gguf.encode(text, true, false);
        QVERIFY(a.size() > 500);
        QCOMPARE(l2c.encode(text, true, false), a);
        QCOMPARE(gguf.decode(a), text);
        QCOMPARE(l2c.decode(a), text);
    }
    void byteFallbackForUnknownCharacters() {
        Tokenizer tok(vocabOf("models/stories260K.gguf"));
        const auto ids = tok.encode("日", false, false); // not in a 512-token vocabulary
        QCOMPARE(int(ids.size()), 1 + 3); // "▁" then the three UTF-8 bytes
        for (size_t i = 1; i < ids.size(); ++i) QCOMPARE(tok.vocab().type(ids[i]), TokenType::Byte);
        QCOMPARE(tok.decode(ids), std::string("日"));
    }
    void tokenizerJsonGivesTheSameTokens_data() {
        QTest::addColumn<QString>("vocab");
        for (const char* v : {"gpt-2", "llama-bpe", "qwen2", "llama-spm"}) QTest::newRow(v) << QString(v);
    }
    void tokenizerJsonGivesTheSameTokens() {
        // The GGUF vocabulary written as an HF tokenizer.json must load back to
        // the same tokenizer: the test vectors' inputs encode identically.
        QFETCH(QString, vocab);
        const std::string base = "vocab/ggml-vocab-" + vocab.toStdString() + ".gguf";
        auto fromGguf = vocabOf(base);
        const std::string dir = qbtest::scratchDir("tokenizer_json_" + vocab.toStdString());
        exportHfTokenizer(*fromGguf, dir);
        auto fromJson = vocabFromTokenizerJson(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
        QCOMPARE(fromJson->kind, fromGguf->kind);
        QCOMPARE(fromJson->pre, fromGguf->kind == TokenizerKind::Bpe ? fromGguf->pre : std::string());
        Tokenizer a(fromGguf), b(fromJson);
        const std::string inputs = qbtest::readFile(qbtest::sharedPath(base + ".inp"));
        QCOMPARE(b.encode(inputs, true, true), a.encode(inputs, true, true));
    }
    void pieces() {
        Tokenizer tok(vocabOf("models/stories260K.gguf"));
        QCOMPARE(tok.piece(tok.vocab().bos), std::string());
        QCOMPARE(tok.piece(tok.vocab().bos, true), std::string("<s>"));
        QCOMPARE(tok.piece(3 + 0x0A), std::string("\n")); // byte token <0x0A>
        QVERIFY_THROWS_EXCEPTION(Error, tok.piece(512));
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
