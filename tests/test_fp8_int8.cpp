// FP8 E4M3 and INT8 per-channel: the FP8 codec, W8A8 dynamic and static and
// FP8 weight-only models that load and score close to F32, and the FP8
// safetensors export (compressed-tensors layout) reading back identically.
#include "eval/perplexity.h"
#include "formats/gguf_reader.h"
#include "formats/safetensors.h"
#include "model/forward_cpu.h"
#include "model/hf_export.h"
#include "model/tokenizer.h"
#include "quant/fp8.h"
#include "quant/quantizer.h"
#include "support/test_eval.h"
#include "support/test_paths.h"

#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

using namespace qb;

namespace {

double perplexityOf(const Model& m) { return qbtest::valPerplexity(m, 512, 20); }


} // namespace

class TestFp8Int8 : public QObject {
    Q_OBJECT
private slots:
    void fp8Codec() {
        int finite = 0;
        for (int c = 0; c < 256; ++c) {
            const float f = fp8E4M3ToFloat(uint8_t(c));
            if (std::isnan(f)) continue;
            QCOMPARE(int(floatToFp8E4M3(f)), c); // every code round-trips
            ++finite;
        }
        QCOMPARE(finite, 254); // 0x7F and 0xFF are NaN
        QCOMPARE(fp8E4M3ToFloat(0x7E), 448.0f);
        QCOMPARE(fp8E4M3ToFloat(0x01), std::ldexp(1.0f, -9)); // smallest subnormal
        QCOMPARE(floatToFp8E4M3(1e6f), uint8_t(0x7E));        // saturates
        QCOMPARE(floatToFp8E4M3(-1e6f), uint8_t(0xFE));
        QCOMPARE(fp8E4M3ToFloat(floatToFp8E4M3(1.0625f)), 1.0f);  // halfway 1 and 1.125: ties to even (1.0)
        QCOMPARE(fp8E4M3ToFloat(floatToFp8E4M3(1.1875f)), 1.25f); // halfway 1.125 and 1.25: ties to even (1.25)
    }
    void perChannelModels_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("staticActivations");
        QTest::addColumn<QString>("activationQuant");
        QTest::newRow("INT8 dynamic") << "INT8" << false << "dynamic";
        QTest::newRow("INT8 static") << "INT8" << true << "static";
        QTest::newRow("FP8") << "FP8" << false << "none";
    }
    void perChannelModels() {
        QFETCH(QString, type);
        QFETCH(bool, staticActivations);
        QFETCH(QString, activationQuant);
        auto model = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        CalibrationOptions co;
        const auto stats = collectCalibration(*model, qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt")), co);
        QuantizeOptions o;
        o.target = type.toStdString();
        o.staticActivations = staticActivations;
        o.calibration = staticActivations ? &stats : nullptr;
        const std::string out = qbtest::scratchDir("perchannel") + "/m.gguf";
        quantizeModel(*model, out, o);
        auto g = GgufFile::open(out);
        QCOMPARE(QString::fromStdString(g->getString("quantbench.activation_quant")), activationQuant);
        QVERIFY(g->findTensor("blk.0.attn_q.weight_scale"));
        QCOMPARE(g->findTensor("blk.0.attn_q.weight_input_scale") != nullptr, staticActivations);
        auto q = loadModel(out);
        QVERIFY(q->weights.layers[0].wq.rowScale);
        QCOMPARE(q->weights.layers[0].wq.inputScale != nullptr, staticActivations);
        const double ppl = perplexityOf(*q), f32 = perplexityOf(*model);
        qInfo("stories260K %s: PPL %.4f (F32 %.4f, 20 chunks)", qPrintable(QTest::currentDataTag()), ppl, f32);
        QVERIFY2(ppl > f32 && ppl < 1.02 * f32, qPrintable(QString("%1 vs F32 %2").arg(ppl).arg(f32)));
    }
    void fp8SafetensorsExportReadsBack() {
        auto model = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string dir = qbtest::scratchDir("fp8_export");
        QuantizeOptions o;
        o.target = "FP8";
        quantizeModel(*model, dir + "/fp8.gguf", o);
        auto fp8 = loadModel(dir + "/fp8.gguf");
        exportHfDirectory(*fp8, dir + "/hf", 1);
        const auto cfg = nlohmann::json::parse(qbtest::readFile(dir + "/hf/config.json"));
        QCOMPARE(cfg["quantization_config"]["quant_method"].get<std::string>(), std::string("compressed-tensors"));
        auto st = SafetensorsFile::open(dir + "/hf/model-00001-of-00001.safetensors");
        bool sawFp8 = false, sawScale = false;
        for (const auto& t : st->tensors()) {
            if (t.name == "model.layers.0.self_attn.q_proj.weight") { sawFp8 = t.dtype == StDtype::F8_E4M3; QCOMPARE(t.shape, (std::vector<int64_t>{64, 64})); }
            if (t.name == "model.layers.0.self_attn.q_proj.weight_scale") { sawScale = true; QCOMPARE(t.shape, (std::vector<int64_t>{64, 1})); }
        }
        QVERIFY(sawFp8 && sawScale);
        auto back = loadModel(dir + "/hf");
        QCOMPARE(back->weights.layers[0].wq.type, GgmlType::QB_F8_E4M3_CH);
        const std::vector<int> ids{1, 403, 407, 261, 378, 300, 301};
        QCOMPARE(qbtest::cpuLogits(*back, ids), qbtest::cpuLogits(*fp8, ids));
    }
};

QTEST_APPLESS_MAIN(TestFp8Int8)
#include "test_fp8_int8.moc"
