// The CPU reference forward pass: the documented greedy text of stories260K,
// the same tokens from the llama2.c checkpoint, batched = one-by-one, context full,
// and the side-by-side matmul giving the one-row-at-a-time loop's exact bits.
#include "common/error.h"
#include "common/half.h"
#include "model/forward_cpu.h"
#include "model/block_dot.h"
#include "model/kquant_dot.h"
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

    // The K-quants' integer dot (sub-block scales and mins as integers) is the
    // dot of ggml's dequantized weights with the Q8_K activations, to float
    // rounding; and the multi-token form is the one-token one, bit for bit.
    void kQuantIntegerDotIsTheDequantizedDot_data() {
        QTest::addColumn<QString>("type");
        for (const char* t : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}) QTest::newRow(t) << QString(t);
    }
    void kQuantIntegerDotIsTheDequantizedDot() {
        QFETCH(QString, type);
        const GgmlType t = *typeFromName(type.toStdString());
        const int rows = 9, cols = 512, tokens = 3;
        std::mt19937 rng(11);
        std::normal_distribution<float> g(0, 1);
        std::vector<float> values(size_t(rows) * cols), x(size_t(tokens) * cols), row(static_cast<size_t>(cols));
        for (float& v : values) v = g(rng);
        for (float& v : x) v = 4.0f * g(rng);
        const size_t stride = rowBytes(t, cols);
        std::vector<uint8_t> bytes(size_t(rows) * stride);
        for (int r = 0; r < rows; ++r) quantizeRow(t, &values[size_t(r) * cols], bytes.data() + size_t(r) * stride, cols);
        Q8KBlocks xq;
        quantizeQ8KBlocks(x.data(), int64_t(x.size()), xq);
        for (int r = 0; r < rows; ++r) {
            dequantizeRow(t, bytes.data() + size_t(r) * stride, row.data(), cols);
            std::vector<float> many(static_cast<size_t>(tokens));
            kQuantDotTokens(t, bytes.data() + size_t(r) * stride, cols, xq, 0, tokens, many.data(), 1);
            for (int tk = 0; tk < tokens; ++tk) {
                double want = 0, mag = 0;
                for (int c = 0; c < cols; ++c) {
                    const int64_t i = int64_t(tk) * cols + c;
                    const double xv = double(xq.q[size_t(i)]) * xq.d[size_t(i / 256)];
                    want += double(row[size_t(c)]) * xv;
                    mag += std::fabs(double(row[size_t(c)]) * xv);
                }
                const float got = kQuantDotRow(t, bytes.data() + size_t(r) * stride, cols, xq, int64_t(tk) * (cols / 256));
                QVERIFY2(std::fabs(got - want) <= 1e-5 * mag, qPrintable(QString("%1 row %2 token %3: %4 vs %5").arg(type).arg(r).arg(tk).arg(got).arg(want)));
                QCOMPARE(many[size_t(tk)], got);
            }
        }
        // ggml's Q8_K: the value of largest magnitude maps to -127 exactly, sums of 16 are the quants'
        float amax = 0, maxv = 0;
        for (int j = 0; j < 256; ++j)
            if (std::fabs(x[size_t(j)]) > amax) amax = std::fabs(x[size_t(j)]), maxv = x[size_t(j)];
        int at = 0;
        while (x[size_t(at)] != maxv) ++at;
        QCOMPARE(int(xq.q[size_t(at)]), -127);
        int sum = 0;
        for (int j = 16; j < 32; ++j) sum += xq.q[size_t(j)];
        QCOMPARE(int(xq.bsums[1]), sum);
    }

    // The 32-value block types' integer dot (ggml's vec_dot_<type>_q8_0 / _q8_1)
    // is the dot of the dequantized weights with the Q8_0 activations, to float
    // rounding; for Q4_1 / Q5_1 the min meets Q8_1's s, the block's quant sum
    // times the unrounded scale, rounded to F16 (so to F16 rounding there).
    void blockIntegerDotIsTheDequantizedDot_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("tolerance");
        for (const char* t : {"Q4_0", "Q5_0", "Q8_0"}) QTest::newRow(t) << QString(t) << 1e-5;
        for (const char* t : {"Q4_1", "Q5_1"}) QTest::newRow(t) << QString(t) << 2e-3;
    }
    void blockIntegerDotIsTheDequantizedDot() {
        QFETCH(QString, type);
        QFETCH(double, tolerance);
        const GgmlType t = *typeFromName(type.toStdString());
        const int rows = 9, cols = 256, tokens = 2;
        std::mt19937 rng(12);
        std::normal_distribution<float> g(0, 1);
        std::vector<float> values(size_t(rows) * cols), x(size_t(tokens) * cols), row(static_cast<size_t>(cols));
        for (float& v : values) v = g(rng) + 0.5f; // off-centre: the Q4_1 / Q5_1 mins matter
        for (float& v : x) v = 4.0f * g(rng);
        const size_t stride = rowBytes(t, cols);
        std::vector<uint8_t> bytes(size_t(rows) * stride);
        for (int r = 0; r < rows; ++r) quantizeRow(t, &values[size_t(r) * cols], bytes.data() + size_t(r) * stride, cols);
        Q8Blocks xq;
        quantizeQ8Blocks(x.data(), int64_t(x.size()), xq);
        for (int r = 0; r < rows; ++r) {
            dequantizeRow(t, bytes.data() + size_t(r) * stride, row.data(), cols);
            for (int tk = 0; tk < tokens; ++tk) {
                double want = 0, mag = 0;
                for (int c = 0; c < cols; ++c) {
                    const int64_t i = int64_t(tk) * cols + c;
                    const double xv = double(xq.q[size_t(i)]) * xq.d[size_t(i / 32)];
                    want += double(row[size_t(c)]) * xv;
                    mag += std::fabs(double(row[size_t(c)]) * xv);
                }
                const float got = integerDotRow(t, bytes.data() + size_t(r) * stride, cols, xq, int64_t(tk) * (cols / 32));
                QVERIFY2(std::fabs(got - want) <= tolerance * mag, qPrintable(QString("%1 row %2 token %3: %4 vs %5").arg(type).arg(r).arg(tk).arg(got).arg(want)));
            }
        }
        // Q8_1's s: F16 of the block's quant sum times amax / 127 (not the F16 scale)
        float amax = 0;
        int sum = 0;
        for (int j = 32; j < 64; ++j) amax = std::max(amax, std::fabs(x[size_t(j)])), sum += xq.q[size_t(j)];
        QCOMPARE(xq.s[1], halfToFloat(floatToHalf(float(sum) * (amax / 127.0f))));
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
