// Dequantization of every block type: bit for bit against ggml's own
// dequantization (the sha256 of every tensor's F32 bytes, ../shared/golden/
// dequant-sha256.json), and against the F32 source within the type's error.
#include "formats/gguf_reader.h"
#include "quant/ggml_type.h"
#include "support/test_paths.h"

#include <QCryptographicHash>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace qb;

namespace {
std::vector<float> dequant(const GgufTensorInfo& t) {
    std::vector<float> out(size_t(t.elements));
    dequantizeRow(t.type, t.data, out.data(), t.elements);
    return out;
}
} // namespace

class TestDequantize : public QObject {
    Q_OBJECT
private slots:
    void matchesSource_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("maxNmse"); // bound on normalized MSE vs the F32 source
        // Bounds follow from each format's bits per weight: roughly 4^-bits,
        // with room for the Student-t outliers in the source.
        QTest::newRow("F16") << "F16" << 1e-6;
        QTest::newRow("BF16") << "BF16" << 1e-4;
        QTest::newRow("Q8_0") << "Q8_0" << 1e-3;
        QTest::newRow("Q6_K") << "Q6_K" << 4e-3;
        QTest::newRow("Q5_0") << "Q5_0" << 1.5e-2;
        QTest::newRow("Q5_1") << "Q5_1" << 1.5e-2;
        QTest::newRow("Q5_K") << "Q5_K" << 1.5e-2;
        QTest::newRow("Q4_0") << "Q4_0" << 6e-2;
        QTest::newRow("Q4_1") << "Q4_1" << 6e-2;
        QTest::newRow("Q4_K") << "Q4_K" << 6e-2;
        QTest::newRow("Q3_K") << "Q3_K" << 0.2;
        QTest::newRow("Q2_K") << "Q2_K" << 0.5;
    }
    // ggml's dequantization, bit for bit: every tensor of every golden type file.
    void bitExactWithGgml_data() {
        QTest::addColumn<QString>("type");
        const auto hashes = nlohmann::json::parse(qbtest::readFile(qbtest::sharedPath("golden/dequant-sha256.json")));
        for (const auto& [type, tensors] : hashes.items()) QTest::newRow(type.c_str()) << QString::fromStdString(type);
    }
    void bitExactWithGgml() {
        QFETCH(QString, type);
        const auto hashes = nlohmann::json::parse(qbtest::readFile(qbtest::sharedPath("golden/dequant-sha256.json")))[type.toStdString()];
        auto q = GgufFile::open(qbtest::sharedPath("golden/synth-kq-1-" + type.toStdString() + ".gguf"));
        int quantized = 0;
        for (const auto& [name, want] : hashes.items()) {
            const auto* t = q->findTensor(name);
            QVERIFY2(t, name.c_str());
            const std::vector<float> v = dequant(*t);
            const QByteArray got = QCryptographicHash::hash(QByteArrayView(reinterpret_cast<const char*>(v.data()), qsizetype(v.size() * 4)),
                                                            QCryptographicHash::Sha256).toHex();
            QVERIFY2(got == QByteArray::fromStdString(want["sha256"].get<std::string>()),
                     qPrintable(QString("%1 %2 (%3): dequantized bytes differ from ggml's").arg(type, name.c_str(), typeName(t->type).c_str())));
            quantized += typeName(t->type) == type.toStdString();
        }
        QVERIFY(quantized >= 7); // the type under test, not only the F32 norms
    }
    void matchesSource() {
        QFETCH(QString, type);
        QFETCH(double, maxNmse);
        auto src = GgufFile::open(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        auto q = GgufFile::open(qbtest::sharedPath("golden/synth-kq-1-" + type.toStdString() + ".gguf"));
        int checked = 0;
        for (const auto& t : q->tensors()) {
            if (typeName(t.type) != type.toStdString()) continue;
            const auto* s = src->findTensor(t.name);
            QVERIFY2(s, t.name.c_str());
            const auto a = dequant(*s), b = dequant(t);
            double err = 0, ref = 0;
            for (size_t i = 0; i < a.size(); ++i) {
                err += double(a[i] - b[i]) * double(a[i] - b[i]);
                ref += double(a[i]) * double(a[i]);
            }
            const double nmse = err / ref;
            QVERIFY2(nmse < maxNmse, qPrintable(QString("%1 %2: nmse %3").arg(type, t.name.c_str()).arg(nmse)));
            QVERIFY2(nmse > 0 || type == "F32", "a lossy type reproduced its source exactly: the test is not comparing what it thinks");
            ++checked;
        }
        QVERIFY(checked >= 2 * 7);
    }
};

QTEST_APPLESS_MAIN(TestDequantize)
#include "test_dequantize.moc"
