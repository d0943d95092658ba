// RoPE scaling beyond Llama 3's divisors: YaRN and Phi-3's LongRoPE.
// No llama.cpp figure exists offline for either, so the angles are checked
// against an independent oracle (Hugging Face transformers' formulation, in
// double precision, written here from its definition), the file keys against
// llama.cpp's, and the whole forward pass against itself on both devices.
#include "common/error.h"
#include "formats/gguf_writer.h"
#include "model/forward_cpu.h"
#include "model/hf_export.h"
#include "model/loaders.h"
#include "model/model_metadata.h"
#include "model/rope.h"
#include "quant/quantizer.h"
#include "run/runner.h"
#include "support/test_eval.h"
#include "support/test_paths.h"
#include "vk/context.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

using namespace qb;

namespace {

ModelConfig ropeConfig(int headDim) {
    ModelConfig c;
    c.headDim = c.ropeDim = headDim;
    c.ropeFreqBase = 10000.0f;
    c.contextLength = 1024;
    return c;
}

// transformers' YaRN (_compute_yarn_parameters, truncate = true), in doubles:
// per pair, inverse frequency blended between extrapolation and interpolation.
double hfYarnAngle(int pos, int pair, int dim, double base, double factor, int original) {
    const auto corrDim = [&](double rotations) { return dim * std::log(original / (rotations * 2 * M_PI)) / (2 * std::log(base)); };
    double low = std::max(0.0, std::floor(corrDim(32))), high = std::min(double(dim - 1), std::ceil(corrDim(1)));
    if (low == high) high += 0.001;
    const double ramp = std::clamp((pair - low) / (high - low), 0.0, 1.0);
    const double extrapolationFactor = 1.0 - ramp;
    const double posFreq = std::pow(base, 2.0 * pair / dim);
    const double invFreq = (1.0 / (factor * posFreq)) * (1 - extrapolationFactor) + (1.0 / posFreq) * extrapolationFactor;
    return pos * invFreq;
}

// The model written again as GGUF with extra keys and tensors (and without `drop`).
std::string writeVariant(const Model& m, const std::string& name, const std::vector<std::pair<std::string, GgufValue>>& keys,
                         const std::vector<std::pair<std::string, std::vector<float>>>& tensors, const std::string& drop = "") {
    const std::string path = qbtest::scratchDir("rope") + "/" + name;
    GgufWriter w;
    for (auto& [k, v] : ggufMetadataFor(m))
        if (k != drop) w.set(k, v);
    for (auto& [k, v] : keys) w.set(k, v);
    for (const Tensor& t : m.tensors)
        w.addTensor({t.name, t.type, t.shape, [&t] { return std::vector<uint8_t>(t.data, t.data + t.bytes); }});
    for (const auto& tensor : tensors) {
        const std::vector<float> values = tensor.second;
        w.addTensor({tensor.first, GgmlType::F32, {int64_t(values.size())}, [values] {
                         std::vector<uint8_t> b(values.size() * 4);
                         std::memcpy(b.data(), values.data(), b.size());
                         return b;
                     }});
    }
    w.write(path);
    return path;
}

const std::vector<float> kLong{1.0f, 2.5f, 6.0f, 16.0f}, kShort{1.0f, 1.25f, 1.5f, 2.0f}; // 4 pairs: head dim 8

// stories260K with YaRN: factor 4 from an original context of 32
std::string yarnVariant(const Model& llama, const std::string& name) {
    return writeVariant(llama, name, {{"llama.rope.scaling.type", GgufValue::str("yarn")}, {"llama.rope.scaling.factor", GgufValue::f32(4.0f)},
                                      {"llama.rope.scaling.original_context_length", GgufValue::u32(32)}}, {});
}
// stories260K-as-phi3 with LongRoPE: kLong / kShort from an original context of 64, attention factor 1.25
std::string longRopeVariant(const Model& phi3, const std::string& name) {
    return writeVariant(phi3, name, {{"phi3.rope.scaling.attn_factor", GgufValue::f32(1.25f)}, {"phi3.rope.scaling.original_context_length", GgufValue::u32(64)}},
                        {{"rope_factors_long.weight", kLong}, {"rope_factors_short.weight", kShort}});
}

std::vector<float> logitsOn(const Model& m, const std::string& device, int context, const std::vector<int>& ids) {
    const auto r = qbtest::openValidated(m, device, context);
    std::vector<float> out;
    r->forward->forward(ids.data(), int(ids.size()), out, true);
    return out;
}

std::vector<int> someTokens(const Model& m, int n) {
    std::vector<int> ids{m.vocab->bos};
    for (int i = 1; i < n; ++i) ids.push_back(3 + (i * 37) % 500);
    return ids;
}

} // namespace

class TestRope : public QObject {
    Q_OBJECT
private slots:
    // Without scaling the angles are pos * base^(-2i/d), magnitude exactly 1.
    void unscaledAnglesArePlainRope() {
        const ModelConfig c = ropeConfig(64);
        const RopeAngles r(c, 512);
        QCOMPARE(r.magnitude(), 1.0f);
        float cs[32], sn[32];
        for (int pos : {0, 1, 17, 300}) {
            r.at(pos, cs, sn);
            for (int i = 0; i < 32; ++i) {
                const double a = pos * std::pow(10000.0, -2.0 * i / 64);
                QVERIFY2(std::abs(cs[i] - std::cos(a)) < 4e-6 * (pos + 1) && std::abs(sn[i] - std::sin(a)) < 4e-6 * (pos + 1),
                         qPrintable(QString("pos %1 pair %2").arg(pos).arg(i)));
            }
        }
    }
    // YaRN as ggml computes it equals transformers' YaRN: the ramp's ends, the
    // blend, and the magnitude 1 + 0.1 ln(factor) on cos and sin.
    void yarnMatchesTransformers_data() {
        QTest::addColumn<int>("dim");
        QTest::addColumn<double>("factor");
        QTest::addColumn<int>("original");
        QTest::newRow("head 64, x4 from 256") << 64 << 4.0 << 256;
        QTest::newRow("head 128, x4 from 32768 (Qwen2.5)") << 128 << 4.0 << 32768;
        QTest::newRow("head 64, x32 from 4096") << 64 << 32.0 << 4096;
        QTest::newRow("head 8, x4 from 32 (the test model)") << 8 << 4.0 << 32;
    }
    void yarnMatchesTransformers() {
        QFETCH(int, dim);
        QFETCH(double, factor);
        QFETCH(int, original);
        ModelConfig c = ropeConfig(dim);
        c.ropeYarn = true;
        c.ropeFreqScale = float(1.0 / factor);
        c.ropeOrigContext = original;
        const RopeAngles r(c, 4 * original);
        const double magnitude = 0.1 * std::log(factor) + 1.0; // transformers' default attention_factor
        QVERIFY(std::abs(r.magnitude() - magnitude) < 1e-6);
        QVERIFY(r.correctionHigh() > r.correctionLow()); // a real ramp in every row
        std::vector<float> cs(size_t(dim / 2)), sn(size_t(dim / 2));
        int blended = 0;
        for (int pos : {1, 5, 31, 200, 1000}) {
            r.at(pos, cs.data(), sn.data());
            for (int i = 0; i < dim / 2; ++i) {
                const double a = hfYarnAngle(pos, i, dim, 10000.0, factor, original);
                const double tol = 4e-6 * pos + 1e-6;
                QVERIFY2(std::abs(cs[size_t(i)] - magnitude * std::cos(a)) < tol && std::abs(sn[size_t(i)] - magnitude * std::sin(a)) < tol,
                         qPrintable(QString("pos %1 pair %2: %3 vs %4").arg(pos).arg(i).arg(cs[size_t(i)]).arg(magnitude * std::cos(a))));
                const double plain = pos * std::pow(10000.0, -2.0 * i / dim);
                blended += std::abs(a - plain) > 1e-3 * plain && std::abs(a - plain / factor) > 1e-3 * plain; // neither end
            }
        }
        if (dim >= 64) QVERIFY(blended > 0); // the ramp is exercised, not only its two ends
    }
    // LongRoPE: the short divisors up to the original context, the long ones past it
    // (llama.cpp decides by the run's context), cos and sin times the attention factor.
    void longRopePicksByContextAndScales() {
        ModelConfig c = ropeConfig(8);
        c.ropeFactorsLong = kLong;
        c.ropeFactorsShort = kShort;
        c.ropeOrigContext = 64;
        c.ropeAttnFactor = 1.25f;
        float cs[4], sn[4];
        for (int context : {64, 65}) {
            const RopeAngles r(c, context);
            const auto& want = context > 64 ? kLong : kShort;
            QCOMPARE(r.divisors(), want);
            r.at(50, cs, sn);
            for (int i = 0; i < 4; ++i) {
                const double a = 50 * std::pow(10000.0, -2.0 * i / 8) / want[size_t(i)];
                QVERIFY(std::abs(cs[i] - 1.25 * std::cos(a)) < 1e-4 && std::abs(sn[i] - 1.25 * std::sin(a)) < 1e-4);
            }
        }
    }
    // The GGUF keys as llama.cpp reads them; what a quantized file writes back reads the same.
    void ggufKeysReadAsLlamaCpp() {
        auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto yarn = loadModel(yarnVariant(*m, "yarn.gguf"));
        QVERIFY(yarn->config.ropeYarn);
        QCOMPARE(yarn->config.ropeFreqScale, 0.25f);
        QCOMPARE(yarn->config.ropeOriginalContext(), 32);
        QCOMPARE(QString::fromStdString(ropeScalingText(yarn->config)), QString("YaRN, factor 4, original context 32"));
        const auto again = loadModel(writeVariant(*yarn, "yarn-again.gguf", {}, {}));
        QVERIFY(again->config.ropeYarn && again->config.ropeFreqScale == 0.25f && again->config.ropeOrigContext == 32);
        // a factor without a type is linear scaling (llama.cpp's default type)
        const auto bare = loadModel(writeVariant(*m, "factor-only.gguf", {{"llama.rope.scaling.factor", GgufValue::f32(2.0f)}}, {}, "llama.rope.scaling.type"));
        QVERIFY(!bare->config.ropeYarn && bare->config.ropeFreqScale == 0.5f);

        auto phi = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        const auto lr = loadModel(longRopeVariant(*phi, "longrope.gguf"));
        QCOMPARE(lr->config.ropeFactorsLong, kLong);
        QCOMPARE(lr->config.ropeFactorsShort, kShort);
        QCOMPARE(lr->config.ropeAttnFactor, 1.25f);
        QCOMPARE(lr->config.ropeOrigContext, 64);
        // refused by name: one of the pair missing, longrope without its tensors, a bad divisor
        const auto refused = [&](const std::function<std::string()>& write, const QString& named) {
            try {
                loadModel(write());
                QFAIL(qPrintable("loaded; expected an error naming " + named));
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains(named), e.what());
            }
        };
        refused([&] { return writeVariant(*phi, "long-only.gguf", {}, {{"rope_factors_long.weight", kLong}}); }, "rope_factors_short.weight");
        refused([&] { return writeVariant(*phi, "type-only.gguf", {{"phi3.rope.scaling.type", GgufValue::str("longrope")}}, {}); }, "phi3.rope.scaling.type");
        refused([&] { return writeVariant(*phi, "zero.gguf", {}, {{"rope_factors_long.weight", {1, 0, 1, 1}}, {"rope_factors_short.weight", kShort}}); },
                "rope_factors_long.weight");
        refused([&] { return writeVariant(*m, "llama-longrope.gguf", {}, {{"rope_factors_long.weight", kLong}, {"rope_factors_short.weight", kShort}}); },
                "rope_factors_long.weight"); // llama.cpp's llama has no LongRoPE
        refused([&] { return writeVariant(*m, "attn0.gguf", {{"llama.rope.scaling.attn_factor", GgufValue::f32(0.0f)}}, {}); },
                "llama.rope.scaling.attn_factor");
    }
    // Both scalings end to end: CPU and Vulkan agree bit for bit (prefill and decode),
    // and each one changes the logits (none is silently a no-op).
    void scaledModelsBitIdenticalOnBothDevices_data() {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<int>("context");
        QTest::newRow("llama yarn") << "yarn" << 128;
        QTest::newRow("phi3 longrope, short factors") << "longrope" << 64;
        QTest::newRow("phi3 longrope, long factors") << "longrope" << 128;
    }
    void scaledModelsBitIdenticalOnBothDevices() {
        QFETCH(QString, variant);
        QFETCH(int, context);
        const bool yarn = variant == "yarn";
        auto base = loadModel(qbtest::sharedPath(yarn ? "models/stories260K.gguf" : "models/arch/stories260K-as-phi3.gguf"));
        const std::string path = yarn ? yarnVariant(*base, "e2e-yarn.gguf") : longRopeVariant(*base, "e2e-longrope.gguf");
        auto m = loadModel(path);
        const std::vector<int> ids = someTokens(*m, 60);
        const std::vector<float> cpu = logitsOn(*m, "cpu", context, ids);
        // Vulkan: a prefill, then one token at a time (the fused decode path)
        const auto vk = qbtest::openValidated(*m, "vulkan", context);
        std::vector<float> got, step;
        vk->forward->forward(ids.data(), 50, got, true);
        for (size_t i = 50; i < ids.size(); ++i) {
            vk->forward->forward(&ids[i], 1, step, false);
            got.insert(got.end(), step.begin(), step.end());
        }
        const std::string mismatch = qbtest::compareWithCpu(got, cpu, *vk->forward); // bit for bit on lavapipe
        QVERIFY2(mismatch.empty(), mismatch.c_str());
        QCOMPARE(vk->vulkan->validationErrors(), 0);
        const std::vector<float> plain = logitsOn(*base, "cpu", context, ids);
        double diff = 0;
        for (size_t i = 0; i < cpu.size(); ++i) diff = std::max(diff, double(std::abs(cpu[i] - plain[i])));
        QVERIFY2(diff > 1e-2, qPrintable(QString("the scaling changed the logits by only %1").arg(diff)));
    }
    // LongRoPE with unit divisors and attention factor 1 is plain RoPE, bit for bit:
    // the divisor and magnitude paths add no rounding of their own.
    void unitLongRopeIsPlainRope() {
        auto phi = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        auto m = loadModel(writeVariant(*phi, "unit.gguf", {{"phi3.rope.scaling.original_context_length", GgufValue::u32(64)}},
                                        {{"rope_factors_long.weight", {1, 1, 1, 1}}, {"rope_factors_short.weight", {1, 1, 1, 1}}}));
        const std::vector<int> ids = someTokens(*m, 40);
        const auto a = logitsOn(*m, "cpu", 128, ids), b = logitsOn(*phi, "cpu", 128, ids);
        QVERIFY(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
    }
    // A quantized file keeps the scaling: the keys, and the divisor tensors in F32
    // (llama-quantize's rule for 1-D tensors), so it runs as the source does.
    void quantizedFilesKeepTheScaling() {
        auto phi = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        auto base = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        auto lr = loadModel(longRopeVariant(*phi, "q-longrope.gguf"));
        auto yarn = loadModel(yarnVariant(*base, "q-yarn.gguf"));
        for (const Model* m : {lr.get(), yarn.get()}) {
            const std::string out = qbtest::scratchDir("rope-q") + (m == lr.get() ? "/longrope-q8_0.gguf" : "/yarn-q8_0.gguf");
            QuantizeOptions o;
            o.target = "Q8_0";
            const QuantizeReport r = quantizeModel(*m, out, o);
            for (const TensorReport& t : r.tensors)
                if (t.name.rfind("rope_factors", 0) == 0) QCOMPARE(QString::fromStdString(t.type), QString("F32"));
            auto q = loadModel(out);
            const ModelConfig &a = m->config, &b = q->config;
            QVERIFY(b.ropeYarn == a.ropeYarn && b.ropeFreqScale == a.ropeFreqScale && b.ropeOrigContext == a.ropeOrigContext);
            QVERIFY(b.ropeAttnFactor == a.ropeAttnFactor && b.ropeFactorsLong == a.ropeFactorsLong && b.ropeFactorsShort == a.ropeFactorsShort);
        }
    }
    // Hugging Face configs map to the same model as the GGUF keys (llama.cpp's
    // converter), and the exporter writes them back: yarn and longrope round trips.
    void huggingFaceConfigsRoundTrip() {
        auto phi = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        auto lr = loadModel(longRopeVariant(*phi, "hf-longrope.gguf"));
        auto base = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        auto yarn = loadModel(yarnVariant(*base, "hf-yarn.gguf"));
        const std::string lrDir = qbtest::scratchDir("rope-hf-longrope");
        for (const Model* m : {lr.get(), yarn.get()}) {
            const std::string dir = m == lr.get() ? lrDir : qbtest::scratchDir("rope-hf-yarn");
            exportHfDirectory(*m, dir);
            auto hf = loadModel(dir);
            const ModelConfig &a = m->config, &b = hf->config;
            QCOMPARE(b.ropeYarn, a.ropeYarn);
            QCOMPARE(b.ropeFreqScale, a.ropeFreqScale);
            QCOMPARE(b.ropeOriginalContext(), a.ropeOriginalContext());
            QVERIFY2(std::abs(b.ropeAttnFactor - a.ropeAttnFactor) <= 1e-6f, qPrintable(QString::number(b.ropeAttnFactor)));
            QCOMPARE(b.ropeFactorsLong, a.ropeFactorsLong);
            QCOMPARE(b.ropeFactorsShort, a.ropeFactorsShort);
            const std::vector<int> ids = someTokens(*m, 40);
            const auto x = logitsOn(*m, "cpu", 128, ids), y = logitsOn(*hf, "cpu", 128, ids);
            double diff = 0;
            for (size_t i = 0; i < x.size(); ++i) diff = std::max(diff, double(std::abs(x[i] - y[i])));
            QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
        }
        // the converter's attention factor for a Phi-3 128k config: sqrt(1 + ln(scale) / ln(original))
        const std::string& dir = lrDir;
        nlohmann::json cfg = nlohmann::json::parse(std::ifstream(dir + "/config.json"));
        cfg["rope_scaling"].erase("attention_factor");
        cfg["max_position_embeddings"] = 131072;
        cfg["original_max_position_embeddings"] = 4096;
        std::ofstream(dir + "/config.json") << cfg.dump(2);
        auto phi128k = loadModel(dir);
        QCOMPARE(phi128k->config.ropeAttnFactor, float(std::sqrt(1.0 + std::log(32.0) / std::log(4096.0))));
        // a rope_scaling key that would change the result unseen is refused by name
        cfg["rope_scaling"]["long_mscale"] = 1.2;
        std::ofstream(dir + "/config.json") << cfg.dump(2);
        try {
            loadModel(dir);
            QFAIL("loaded a config with long_mscale");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("long_mscale"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestRope)
#include "test_rope.moc"
