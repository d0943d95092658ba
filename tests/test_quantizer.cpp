// The quantization engine: llama.cpp's recipes (types and bytes), the file it
// writes, cancellation and a full disk leaving nothing behind, the input
// untouched, and the per-tensor error report.
#include "common/error.h"
#include "formats/gguf_reader.h"
#include "quant/quantizer.h"
#include "quant/variant_plan.h"
#include "support/test_paths.h"

#include <QCryptographicHash>
#include <QtTest>
#include <csignal>
#include <filesystem>
#include <sys/resource.h>

using namespace qb;

namespace {

QByteArray digest(const std::string& path) {
    return QCryptographicHash::hash(QByteArray::fromStdString(qbtest::readFile(path)), QCryptographicHash::Sha256);
}

// Every tensor of `got` has the type and the data bytes of the same-named tensor in `want`.
void compareTensors(const std::string& gotPath, const std::string& wantPath) {
    auto got = GgufFile::open(gotPath), want = GgufFile::open(wantPath);
    QCOMPARE(got->tensors().size(), want->tensors().size());
    for (const auto& w : want->tensors()) {
        const auto* g = got->findTensor(w.name);
        QVERIFY2(g, w.name.c_str());
        QVERIFY2(g->type == w.type, qPrintable(QString("%1: %2, llama.cpp chose %3").arg(w.name.c_str(), typeName(g->type).c_str(), typeName(w.type).c_str())));
        QCOMPARE(g->bytes, w.bytes);
        QVERIFY2(std::memcmp(g->data, w.data, w.bytes) == 0, qPrintable(QString("%1: data differs").arg(w.name.c_str())));
    }
}

} // namespace

class TestQuantizer : public QObject {
    Q_OBJECT
private slots:
    void recipesMatchLlamaCpp_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("recipe");
        QTest::addColumn<QString>("golden");
        for (const char* r : {"Q4_K_M", "Q3_K_M", "Q5_K_M", "Q2_K"})
            QTest::addRow("synth %s", r) << "golden/synth-kq-1-f32.gguf" << r << QString("golden/synth-kq-1-mix-%1.gguf").arg(r);
        QTest::newRow("stories260K Q8_0") << "models/stories260K.gguf" << "Q8_0" << "golden/stories260K-q8_0.llamacpp.gguf";
        QTest::newRow("stories260K Q4_0") << "models/stories260K.gguf" << "Q4_0" << "golden/stories260K-q4_0.llamacpp.gguf";
        QTest::newRow("stories260K F16") << "models/stories260K.gguf" << "F16" << "golden/stories260K-f16.llamacpp.gguf";
    }
    void recipesMatchLlamaCpp() {
        QFETCH(QString, source);
        QFETCH(QString, recipe);
        QFETCH(QString, golden);
        auto model = loadModel(qbtest::sharedPath(source.toStdString()));
        const std::string out = qbtest::scratchDir("recipe_" + recipe.toStdString()) + "/out.gguf";
        QuantizeOptions o;
        o.target = recipe.toStdString();
        quantizeModel(*model, out, o);
        compareTensors(out, qbtest::sharedPath(golden.toStdString()));
        // the size the GUI predicts before quantizing is the file's, byte for byte
        QCOMPARE(planVariant(*model, o).fileBytes, uint64_t(std::filesystem::file_size(out)));
    }
    void plannedSizeIsTheFileSize_data() {
        QTest::addColumn<QString>("target");
        for (const char* t : {"INT8", "FP8", "BF16", "Q6_K", "Q5_K_M"}) QTest::newRow(t) << t;
    }
    void plannedSizeIsTheFileSize() {
        QFETCH(QString, target);
        auto model = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string out = qbtest::scratchDir("plan_" + target.toStdString()) + "/out.gguf";
        QuantizeOptions o;
        o.target = target.toStdString();
        const VariantPlan plan = planVariant(*model, o);
        const QuantizeReport r = quantizeModel(*model, out, o);
        QCOMPARE(plan.fileBytes, uint64_t(std::filesystem::file_size(out)));
        for (size_t i = 0; i < r.tensors.size(); ++i) QCOMPARE(QString::fromStdString(r.tensors[i].type), QString::fromStdString(typeName(plan.types[i])));
        QVERIFY(plan.bitsPerWeight() > 0);
    }
    void pureThroughTheEngine() {
        auto model = loadModel(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        const std::string out = qbtest::scratchDir("pure") + "/q6k.gguf";
        QuantizeOptions o;
        o.target = "Q6_K";
        o.pure = true;
        quantizeModel(*model, out, o);
        compareTensors(out, qbtest::sharedPath("golden/synth-kq-1-Q6_K.gguf"));
    }
    void writesMetadataAndLoadsBack() {
        const std::string src = qbtest::sharedPath("models/stories260K.gguf");
        const QByteArray before = digest(src);
        auto model = loadModel(src);
        const std::string out = qbtest::scratchDir("meta") + "/q4km.gguf";
        QuantizeOptions o;
        o.target = "Q4_K_M";
        const QuantizeReport r = quantizeModel(*model, out, o);
        QCOMPARE(digest(src), before); // the input is never modified
        auto g = GgufFile::open(out);
        QCOMPARE(g->getInt("general.file_type"), int64_t(FileType::MostlyQ4_K_M));
        QCOMPARE(g->getInt("general.quantization_version"), int64_t(2));
        QCOMPARE(g->getString("quantbench.method"), std::string("rtn"));
        QCOMPARE(g->getStringArray("tokenizer.ggml.tokens").size(), size_t(512));
        auto back = loadModel(out);
        QCOMPARE(back->config.nLayers, 5);
        QCOMPARE(r.outputBytes, uint64_t(std::filesystem::file_size(out)));
        // report: quantized tensors carry finite, ordered errors; copies carry none
        for (const auto& t : r.tensors) {
            if (t.method == "copy") { QCOMPARE(t.rmse, 0.0); continue; }
            QVERIFY2(t.rmse > 0 && t.relFrobenius > 0 && t.relFrobenius < 0.5 && t.maxAbsError >= t.rmse, t.name.c_str());
            QVERIFY(std::abs(t.snrDb - (-20 * std::log10(t.relFrobenius))) < 1e-6);
        }
    }
    void moreBitsLessError() {
        auto model = loadModel(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        double last = 0;
        for (const char* type : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_0"}) {
            QuantizeOptions o;
            o.target = type;
            o.pure = true;
            const auto r = quantizeModel(*model, qbtest::scratchDir("bits") + "/x.gguf", o);
            double snr = 0;
            int n = 0;
            for (const auto& t : r.tensors)
                if (t.method != "copy") { snr += t.snrDb; ++n; }
            snr /= n;
            QVERIFY2(snr > last + 3, qPrintable(QString("%1: mean SNR %2 dB after %3 dB").arg(type).arg(snr).arg(last)));
            last = snr;
        }
    }
    void cancelLeavesNoFile() {
        auto model = loadModel(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        const std::string dir = qbtest::scratchDir("cancel");
        QuantizeOptions o;
        o.target = "Q4_K_M";
        int calls = 0;
        o.progress = [&](const QuantizeProgress& p) { ++calls; return p.tensorIndex < 5; };
        try {
            quantizeModel(*model, dir + "/out.gguf", o);
            QFAIL("expected cancellation");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QVERIFY(calls >= 5);
        QVERIFY(std::filesystem::is_empty(dir));
    }
    void fullDiskLeavesNoFile() {
        // RLIMIT_FSIZE makes writes past 100 KB fail with EFBIG, as a full disk would.
        auto model = loadModel(qbtest::sharedPath("golden/synth-kq-1-f32.gguf"));
        const std::string dir = qbtest::scratchDir("diskfull");
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        rlimit small = old;
        small.rlim_cur = 100 * 1024;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
        QString message;
        try {
            QuantizeOptions o;
            o.target = "Q8_0";
            quantizeModel(*model, dir + "/out.gguf", o);
        } catch (const Error& e) {
            message = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &old);
        QVERIFY2(message.contains("out.gguf") && message.contains("write failed"), qPrintable(message));
        QVERIFY(std::filesystem::is_empty(dir));
    }
    void refusesToOverwriteInput() {
        const std::string dir = qbtest::scratchDir("self");
        std::filesystem::copy_file(qbtest::sharedPath("models/stories260K.gguf"), dir + "/m.gguf");
        auto model = loadModel(dir + "/m.gguf");
        QuantizeOptions o;
        o.target = "Q8_0";
        QVERIFY_THROWS_EXCEPTION(Error, quantizeModel(*model, dir + "/m.gguf", o));
        QVERIFY_THROWS_EXCEPTION(Error, [&] { o.target = "Q9_9"; quantizeModel(*model, dir + "/x.gguf", o); }());
    }
};

QTEST_APPLESS_MAIN(TestQuantizer)
#include "test_quantizer.moc"
