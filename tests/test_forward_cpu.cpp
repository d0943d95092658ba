// The CPU reference forward pass: the documented greedy text of stories260K,
// the same tokens from the llama2.c checkpoint, batched = one-by-one, context full,
// and the side-by-side matmul giving the one-row-at-a-time loop's exact bits.
#include "common/error.h"
#include "model/forward_cpu.h"
#include "model/matmul_lanes.h"
#include "quant/quantize.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "support/test_eval.h"
#include "support/test_paths.h"

#include <QtTest>
#include <cstring>
#include <random>

using namespace qb;

namespace {

std::vector<int> greedy(const Model& m, int n) {
    ThreadPool pool(2);
    CpuForward fwd(m, pool);
    return qbtest::greedyFromBos(fwd, m, n);
}

// The temperature-0 sample printed in llama2.c's doc/stories260K.md.
std::string documentedSample() {
    const std::string md = qbtest::readFile(qbtest::sharedPath("models/llama2c/stories260K.md"));
    const std::string start = "Once upon a time, there was a little girl named Lily.";
    const size_t from = md.find(start);
    const size_t to = md.find("```", from);
    if (from == std::string::npos || to == std::string::npos) throw std::runtime_error("stories260K.md: greedy sample not found");
    return md.substr(from, to - from);
}

} // namespace

class TestForwardCpu : public QObject {
    Q_OBJECT
private slots:
    void greedyReproducesDocumentedText() {
        auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto ids = greedy(*m, 200);
        Tokenizer tok(m->vocab);
        const std::string text = tok.decode(ids);
        const std::string want = documentedSample();
        QVERIFY2(text.size() > 400, text.c_str()); // 200 tokens of short English words
        QVERIFY2(want.compare(0, text.size(), text) == 0, ("got:  " + text + "\nwant: " + want.substr(0, text.size())).c_str());
    }
    void llama2cCheckpointGivesSameTokens() {
        auto gguf = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        LoadOptions o;
        o.tokenizerPath = qbtest::sharedPath("models/llama2c/tok512.bin");
        auto l2c = loadModel(qbtest::sharedPath("models/llama2c/stories260K.bin"), o);
        QCOMPARE(l2c->format, std::string("llama2c"));
        QCOMPARE(greedy(*l2c, 200), greedy(*gguf, 200));
    }
    void batchedEqualsOneByOne() {
        auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        ThreadPool pool(2);
        Tokenizer tok(m->vocab);
        const auto ids = tok.encode("Once upon a time, there was a dog who liked to run.", true, false);
        CpuForward batched(*m, pool), single(*m, pool);
        std::vector<float> all, one;
        batched.forward(ids.data(), int(ids.size()), all, true);
        const int V = m->config.vocabSize;
        double err = 0, ref = 0;
        for (size_t t = 0; t < ids.size(); ++t) {
            single.forward(&ids[t], 1, one, false);
            for (int i = 0; i < V; ++i) {
                const double d = all[t * V + size_t(i)] - one[size_t(i)];
                err += d * d;
                ref += double(one[size_t(i)]) * one[size_t(i)];
            }
        }
        QVERIFY2(err / ref < 1e-10, qPrintable(QString::number(err / ref)));
    }
    // Every shape edge: rows not a multiple of the 16-row tile, token counts
    // not a multiple of 4 (1 = decode), F32 and F16 weights, per-channel scales.
    void sideBySideMatmulIsTheScalarLoop_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("tokens");
        QTest::addColumn<bool>("rowScale");
        QTest::newRow("F32 37x70, 1 token") << "F32" << 37 << 70 << 1 << false;
        QTest::newRow("F32 16x64, 4 tokens") << "F32" << 16 << 64 << 4 << false;
        QTest::newRow("F16 45x96, 7 tokens") << "F16" << 45 << 96 << 7 << false;
        QTest::newRow("F32 33x130, 13 tokens, row scales") << "F32" << 33 << 130 << 13 << true;
    }
    void sideBySideMatmulIsTheScalarLoop() {
        QFETCH(QString, type);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, tokens);
        QFETCH(bool, rowScale);
        std::mt19937 rng(7);
        std::normal_distribution<float> g(0, 1);
        Tensor w;
        w.name = "w";
        w.type = *typeFromName(type.toStdString());
        w.shape = {cols, rows};
        std::vector<float> values(size_t(rows) * size_t(cols)), scales(static_cast<size_t>(rows)), x(size_t(tokens) * size_t(cols));
        for (float& v : values) v = g(rng);
        for (float& v : scales) v = 0.5f + std::fabs(g(rng));
        for (float& v : x) v = g(rng);
        std::vector<uint8_t> bytes(size_t(rows) * rowBytes(w.type, cols));
        for (int r = 0; r < rows; ++r) quantizeRow(w.type, &values[size_t(r) * cols], bytes.data() + size_t(r) * rowBytes(w.type, cols), cols);
        w.data = bytes.data();
        w.bytes = bytes.size();
        if (rowScale) w.rowScale = scales.data();
        std::vector<float> expected(size_t(tokens) * size_t(rows)), got(expected.size(), -1.0f), row(static_cast<size_t>(cols));
        for (int r = 0; r < rows; ++r) {
            w.dequantizeRowTo(r, row.data());
            for (int t = 0; t < tokens; ++t) {
                float sum = 0;
                for (int c = 0; c < cols; ++c) sum += row[size_t(c)] * x[size_t(t) * cols + c];
                expected[size_t(t) * rows + r] = sum;
            }
        }
        ThreadPool pool(2);
        matmulSideBySide(w, x.data(), tokens, got.data(), pool);
        QCOMPARE(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)), 0);
    }

    void contextFullIsAnError() {
        auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        ThreadPool pool(1);
        CpuForwardOptions o;
        o.contextLength = 4;
        CpuForward fwd(*m, pool, o);
        std::vector<int> ids{1, 400, 401, 402};
        std::vector<float> logits;
        fwd.forward(ids.data(), 4, logits, false);
        try {
            fwd.forward(ids.data(), 1, logits, false);
            QFAIL("expected context full");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("context full"), e.what());
        }
        QCOMPARE(fwd.position(), 4);
    }
};

QTEST_APPLESS_MAIN(TestForwardCpu)
#include "test_forward_cpu.moc"
