// Perplexity by llama-perplexity's method must agree with llama.cpp's own
// figures (../shared/golden/README.md) to 4 significant digits.
#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"

#include <QtTest>

using namespace qb;

class TestPerplexity : public QObject {
    Q_OBJECT
private slots:
    void matchesLlamaCpp_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("llamaCpp");
        QTest::newRow("F32") << "models/stories260K.gguf" << 3.8662;
        QTest::newRow("F16") << "golden/stories260K-f16.llamacpp.gguf" << 3.8660;
        QTest::newRow("Q8_0") << "golden/stories260K-q8_0.llamacpp.gguf" << 3.8736;
        QTest::newRow("Q4_0") << "golden/stories260K-q4_0.llamacpp.gguf" << 4.1791;
    }
    void matchesLlamaCpp() {
        QFETCH(QString, file);
        QFETCH(double, llamaCpp);
        auto m = loadModel(qbtest::sharedPath(file.toStdString()));
        Tokenizer tok(m->vocab);
        const auto tokens = tok.encode(qbtest::readFile(qbtest::sharedPath("text/tinystories_val.txt")), true, false);
        ThreadPool pool(2);
        CpuForwardOptions o;
        o.contextLength = 512;
        CpuForward fwd(*m, pool, o);
        // the method spelled out here (chunks, scored tokens, stderr); other tests use qbtest::valPerplexity
        const auto r = computePerplexity(tokens, evalBos(*m->vocab), 512, 50, m->config.vocabSize,
                                         [&](const std::vector<int>& chunk, std::vector<float>& logits) {
                                             fwd.reset();
                                             fwd.forward(chunk.data(), int(chunk.size()), logits, true);
                                         });
        QCOMPARE(r.chunks, 50);
        QCOMPARE(r.tokensScored, 50 * (512 - 1 - 256));
        QVERIFY2(std::abs(r.ppl - llamaCpp) <= 5e-4 * llamaCpp, qPrintable(QString("ppl %1 vs llama.cpp %2").arg(r.ppl, 0, 'f', 5).arg(llamaCpp)));
        QVERIFY(r.pplStderr > 0 && r.pplStderr < 0.1);
    }
    void methodOnAToyModel() {
        // A "model" that always predicts uniformly over V tokens has PPL exactly V.
        const int V = 7, ctx = 8;
        std::vector<int> tokens(40, 3);
        const auto r = computePerplexity(tokens, 1, ctx, 0, V, [&](const std::vector<int>& chunk, std::vector<float>& logits) {
            QCOMPARE(chunk[0], 1); // first token replaced by BOS
            logits.assign(size_t(ctx) * V, 0.5f);
        });
        QCOMPARE(r.chunks, 40 / ctx);
        QCOMPARE(r.tokensScored, r.chunks * (ctx - 1 - ctx / 2));
        QVERIFY(std::abs(r.ppl - V) < 1e-9);
    }
};

QTEST_APPLESS_MAIN(TestPerplexity)
#include "test_perplexity.moc"
