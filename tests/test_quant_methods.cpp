// Calibrated methods: the importance matrix file round trip, GPTQ's error
// feedback beating rounding on correlated inputs, and on stories260K GPTQ,
// AWQ and imatrix Q4_0 all scoring a lower perplexity than RTN Q4_0.
#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/tokenizer.h"
#include "quant/gptq.h"
#include "quant/quantize.h"
#include "quant/quantizer.h"
#include "support/test_eval.h"
#include "support/test_paths.h"

#include <QtTest>
#include <random>

using namespace qb;

namespace {

double perplexityOf(const std::string& path) { return qbtest::valPerplexity(*loadModel(path)); }

// Output error |(W - Wq) x|^2 summed over the rows of X.
double outputError(const std::vector<float>& w, const std::vector<uint8_t>& q, GgmlType type, int64_t rows, int64_t cols,
                   const std::vector<float>& x, int64_t n) {
    std::vector<float> back(static_cast<size_t>(cols));
    double e = 0;
    for (int64_t r = 0; r < rows; ++r) {
        dequantizeRow(type, q.data() + size_t(r) * rowBytes(type, cols), back.data(), cols);
        for (int64_t t = 0; t < n; ++t) {
            double d = 0;
            for (int64_t c = 0; c < cols; ++c) d += (w[size_t(r * cols + c)] - back[size_t(c)]) * double(x[size_t(t * cols + c)]);
            e += d * d;
        }
    }
    return e;
}

} // namespace

class TestQuantMethods : public QObject {
    Q_OBJECT
private slots:
    void imatrixFileRoundTrip() {
        ImportanceMatrix m;
        m.values["blk.0.attn_q.weight"] = {1.0f, 2.5f, 0.125f};
        m.values["output.weight"] = {4.0f};
        m.chunks = 3;
        m.dataset = "sample.txt";
        const std::string path = qbtest::scratchDir("imatrix") + "/m.dat";
        m.save(path);
        const auto back = ImportanceMatrix::load(path);
        QCOMPARE(back.values, m.values);
        QCOMPARE(back.chunks, 3);
        QCOMPARE(back.dataset, std::string("sample.txt"));
    }
    void gptqBeatsRoundingOnCorrelatedInputs_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("actOrder");
        QTest::newRow("Q4_0 g32") << "Q4_0" << 32 << false;
        QTest::newRow("Q4_0 g32 act-order") << "Q4_0" << 32 << true;
        QTest::newRow("Q4_1 g64") << "Q4_1" << 64 << false;
        QTest::newRow("Q8_0 g128 act-order") << "Q8_0" << 128 << true;
    }
    void gptqBeatsRoundingOnCorrelatedInputs() {
        QFETCH(QString, type);
        QFETCH(int, group);
        QFETCH(bool, actOrder);
        const GgmlType t = *typeFromName(type.toStdString());
        const int64_t rows = 16, cols = 128, n = 512;
        std::mt19937 rng(3);
        std::normal_distribution<float> g(0, 1);
        std::vector<float> w(size_t(rows * cols)), x(size_t(n * cols));
        for (auto& v : w) v = g(rng);
        for (int64_t i = 0; i < n; ++i) { // inputs with a strong shared component: correlated columns
            const float common = g(rng);
            for (int64_t c = 0; c < cols; ++c) x[size_t(i * cols + c)] = common * (1 + 0.02f * float(c)) + 0.3f * g(rng);
        }
        std::vector<double> h(size_t(cols * cols), 0.0);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t a = 0; a < cols; ++a)
                for (int64_t b = 0; b < cols; ++b) h[size_t(a * cols + b)] += double(x[size_t(i * cols + a)]) * x[size_t(i * cols + b)];
        GptqOptions o;
        o.group = group;
        o.actOrder = actOrder;
        const auto q = gptqQuantize(w, rows, cols, h, t, o);
        std::vector<uint8_t> rtn(rowBytes(t, cols) * rows);
        for (int64_t r = 0; r < rows; ++r) quantizeRow(t, &w[size_t(r * cols)], rtn.data() + size_t(r) * rowBytes(t, cols), cols);
        const double eGptq = outputError(w, q, t, rows, cols, x, n), eRtn = outputError(w, rtn, t, rows, cols, x, n);
        QVERIFY2(eGptq < 0.8 * eRtn, qPrintable(QString("gptq %1 vs rtn %2").arg(eGptq).arg(eRtn)));
        if (group > 32) { // one scale per group: every 32-block of a group stores the same d
            const int bb = traits(t).blockBytes;
            QCOMPARE(std::memcmp(q.data(), q.data() + bb, 2), 0);
        }
    }
    void calibratedMethodsBeatRtnOnStories260K() {
        const std::string src = qbtest::sharedPath("models/stories260K.gguf");
        auto model = loadModel(src);
        const std::string text = qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt"));
        const std::string dir = qbtest::scratchDir("methods");
        QuantizeOptions base;
        base.target = "Q4_0";
        quantizeModel(*model, dir + "/rtn.gguf", base);
        const double rtn = perplexityOf(dir + "/rtn.gguf");
        QVERIFY2(std::abs(rtn - 4.1791) < 5e-4 * 4.1791, qPrintable(QString::number(rtn))); // llama.cpp's RTN Q4_0

        CalibrationOptions co;
        co.hessians = true;
        co.sampleRows = 256;
        const CalibrationStats stats = collectCalibration(*model, text, co);
        const ImportanceMatrix imatrix = ImportanceMatrix::fromCalibration(stats, 1, "tinystories_sample.txt");
        for (QuantMethod m : {QuantMethod::Gptq, QuantMethod::Awq, QuantMethod::Imatrix}) {
            QuantizeOptions o = base;
            o.method = m;
            o.calibration = &stats;
            if (m == QuantMethod::Imatrix) o.imatrix = &imatrix;
            const std::string out = dir + "/" + methodName(m) + ".gguf";
            quantizeModel(*model, out, o);
            const double ppl = perplexityOf(out);
            qInfo("stories260K Q4_0 %s: PPL %.4f (RTN %.4f)", methodName(m), ppl, rtn);
            QVERIFY2(ppl < rtn - 0.03, qPrintable(QString("%1: %2 vs RTN %3").arg(methodName(m)).arg(ppl).arg(rtn)));
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantMethods)
#include "test_quant_methods.moc"
