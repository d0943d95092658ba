// Bit-exactness with llama.cpp: quantizing golden/synth-kq-1-f32.gguf with
// every type must give the same tensor bytes as llama-quantize --pure did.
#include "formats/gguf_reader.h"
#include "quant/quantize.h"
#include "support/test_paths.h"

#include <QtTest>

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
};

QTEST_APPLESS_MAIN(TestQuantizeExact)
#include "test_quantize_exact.moc"
