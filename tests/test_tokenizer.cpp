// Tokenizer behaviour beyond the vectors: special tokens, BOS, the llama2.c
// tokenizer agreeing with the GGUF one, pieces and decoding.
#include "common/error.h"
#include "model/hf_tokenizer_json.h"
#include "model/model.h"
#include "model/hf_export.h"
#include "model/tokenizer.h"
#include "run/generate.h"
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
    // Streaming: token by token, every piece is whole UTF-8 and the pieces join
    // to exactly what decode() gives, on byte-level BPE (multi-byte characters
    // split across tokens) and SentencePiece (byte fallback, leading space).
    void streamingNeverSplitsACharacter_data() {
        QTest::addColumn<QString>("vocab");
        QTest::newRow("gpt-2") << "vocab/ggml-vocab-gpt-2.gguf";
        QTest::newRow("qwen2") << "vocab/ggml-vocab-qwen2.gguf";
        QTest::newRow("llama-spm") << "vocab/ggml-vocab-llama-spm.gguf";
    }
    void streamingNeverSplitsACharacter() {
        QFETCH(QString, vocab);
        Tokenizer tok(vocabOf(vocab.toStdString()));
        const std::string text = " Grüße, 世界! 🦙 emoji 🤖🤖 and a\ttab, \xc3\xa9t\xc3\xa9";
        const std::vector<int> ids = tok.encode(text, false, false);
        int splitCharacters = 0; // tokens whose own bytes end inside a character: what the stream holds back
        for (int id : ids) splitCharacters += completeUtf8Prefix(tok.piece(id)) != tok.piece(id).size();
        if (vocab != "vocab/ggml-vocab-llama-spm.gguf") QVERIFY(splitCharacters > 0);
        TextStream stream(tok);
        std::string joined;
        for (int id : ids) {
            const std::string piece = stream.push(id);
            QCOMPARE(completeUtf8Prefix(piece), piece.size());
            QVERIFY(QString::fromUtf8(piece.data(), qsizetype(piece.size())).toUtf8() == QByteArray(piece.data(), qsizetype(piece.size())));
            joined += piece;
        }
        joined += stream.flush();
        QCOMPARE(joined, tok.decode(ids));
    }
    void utf8PrefixHoldsBackUnfinishedCharacters() {
        QCOMPARE(completeUtf8Prefix("ab"), size_t(2));
        QCOMPARE(completeUtf8Prefix("a\xe4\xb8"), size_t(1));        // 2 of 3 bytes of 世
        QCOMPARE(completeUtf8Prefix("a\xe4\xb8\x96"), size_t(4));    // all of it
        QCOMPARE(completeUtf8Prefix("\xf0\x9f\xa6"), size_t(0));     // 3 of 4 bytes of 🦙
        QCOMPARE(completeUtf8Prefix("\x80\x80"), size_t(2));         // stray continuation bytes pass through
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
