// Bit-exactness with llama.cpp: quantizing golden/synth-kq-1-f32.gguf with
// every type must give the same tensor bytes as llama-quantize --pure did;
// the K-quant search run side by side equals ggml's one-at-a-time search.
#include "formats/gguf_reader.h"
#include "quant/quant_search.h"
#include "quant/quantize.h"
#include "support/test_paths.h"

#include <QtTest>
#include <cmath>
#include <random>

using namespace qb;

class TestQuantizeExact : public QObject {
    Q_OBJECT
private slots:
    void matchesLlamaQuantize_data() {
        QTest::addColumn<QString>("type");
        for (const char* t : {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
            QTest::newRow(t) << QString(t);
    }
    void matchesLlamaQuantize() {
        QFETCH(QString, type);
        const GgmlType target = *typeFromName(type.toStdString());
        auto src = GgufFile::open(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        auto want = GgufFile::open(qbtest::sharedPath("golden/synth-kq-1-" + type.toStdString() + ".gguf"));
        int compared = 0;
        for (const auto& s : src->tensors()) {
            const auto* w = want->findTensor(s.name);
            QVERIFY2(w, s.name.c_str());
            if (s.shape.size() < 2) {
                QCOMPARE(w->type, GgmlType::F32); // --pure keeps 1-D norms in F32
                continue;
            }
            QCOMPARE(w->type, target);
            std::vector<uint8_t> out(w->bytes);
            const int64_t cols = s.shape[0];
            const size_t rowOut = rowBytes(target, cols);
            for (int64_t r = 0; r < s.elements / cols; ++r)
                quantizeRow(target, reinterpret_cast<const float*>(s.data) + r * cols, out.data() + size_t(r) * rowOut, cols);
            if (std::memcmp(out.data(), w->data, w->bytes) != 0) {
                size_t first = 0;
                while (out[first] == w->data[first]) ++first;
                QFAIL(qPrintable(QString("%1: tensor %2 differs from llama.cpp first at byte %3 (block %4)")
                                     .arg(type, s.name.c_str()).arg(first).arg(first / traits(target).blockBytes)));
            }
            ++compared;
        }
        QVERIFY(compared >= 14);
    }

    // The Q4_K / Q5_K search runs a super-block's 8 sub-blocks side by side;
    // each must come out exactly as the one-at-a-time search (ggml's), on
    // random values and the edge cases: a constant sub-block, all positive, zeros, one outlier.
    void sideBySideSearchEqualsOneAtATime() {
        std::mt19937 rng(7);
        std::normal_distribution<float> g(0, 1);
        for (int trial = 0; trial < 400; ++trial) {
            float x[256], w[256];
            for (int i = 0; i < 256; ++i) x[i] = g(rng) * (1 + trial % 5);
            const int kind = trial % 4;
            for (int i = 0; i < 32; ++i) {
                if (kind == 0) x[32 + i] = 0.25f;                 // constant
                if (kind == 1) x[64 + i] = std::fabs(x[64 + i]);  // min > 0
                if (kind == 2) x[96 + i] = 0;                     // zeros
            }
            if (kind == 3) x[160] = 40;                           // outlier
            for (int i = 0; i < 256; ++i) w[i] = 0.5f + std::fabs(x[i]);
            for (int nmax : {15, 31}) {
                const float rmin = nmax == 15 ? -1.f : -0.5f;
                const int nstep = nmax == 15 ? 20 : 15;
                uint8_t lanesL[256], oneL[256], aux[32];
                float lanesMin[8], lanesScale[8];
                quant::makeQkx2Quants8x32(nmax, x, w, lanesL, lanesMin, lanesScale, rmin, 0.1f, nstep);
                for (int j = 0; j < 8; ++j) {
                    float oneMin = 0;
                    const float oneScale = quant::makeQkx2Quants(32, nmax, x + 32 * j, w + 32 * j, oneL + 32 * j, &oneMin, aux, rmin, 0.1f, nstep, false);
                    QCOMPARE(std::memcmp(&lanesScale[j], &oneScale, 4), 0);
                    QCOMPARE(std::memcmp(&lanesMin[j], &oneMin, 4), 0);
                }
                QCOMPARE(std::memcmp(lanesL, oneL, 256), 0);
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantizeExact)
#include "test_quantize_exact.moc"
