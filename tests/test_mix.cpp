// Mixed precision from measured sensitivity: the planner's choice is the exact
// optimum (checked against every combination), a sensitivity entry is the
// divergence of a file with only that tensor quantized, and on stories260K a
// mix at the size of each uniform file has a lower KL-divergence from F32 on
// text it was not calibrated on than that file.
#include "common/error.h"
#include "eval/kld.h"
#include "model/forward_cpu.h"
#include "quant/mix_job.h"
#include "quant/quantize_job.h"
#include "support/test_paths.h"
#include "support/wide_model.h"

#include <QtTest>
#include <filesystem>
#include <random>

using namespace qb;

namespace {

SensitivityTable randomTable(std::mt19937& rng, int tensors, int options) {
    SensitivityTable t;
    std::uniform_int_distribution<int> size(50, 400);
    std::uniform_real_distribution<double> kld(0.0, 1.0);
    const GgmlType types[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q8_0};
    for (int i = 0; i < tensors; ++i) {
        TensorSensitivity s;
        s.index = i;
        s.name = std::string("t") + std::to_string(i);
        for (int j = 0; j < options; ++j) s.options.push_back({types[j], uint64_t(size(rng)), kld(rng)});
        std::sort(s.options.begin(), s.options.end(), [](const TypeCost& a, const TypeCost& b) { return a.bytes < b.bytes; });
        t.tensors.push_back(s);
    }
    return t;
}

// Every combination: the least divergence within `budget` bytes, or the fewest bytes within `maxKld`.
std::pair<double, uint64_t> bruteForce(const SensitivityTable& t, uint64_t budget, double maxKld) {
    const size_t n = t.tensors.size(), k = t.tensors[0].options.size();
    size_t combos = 1;
    for (size_t i = 0; i < n; ++i) combos *= k;
    double bestKld = 1e300;
    uint64_t bestBytes = UINT64_MAX;
    for (size_t c = 0; c < combos; ++c) {
        size_t code = c;
        double kld = 0;
        uint64_t bytes = 0;
        for (size_t i = 0; i < n; ++i, code /= k) {
            kld += t.tensors[i].options[code % k].kld;
            bytes += t.tensors[i].options[code % k].bytes;
        }
        if (maxKld < 0 && bytes <= budget && kld < bestKld) bestKld = kld, bestBytes = bytes;
        if (maxKld >= 0 && kld <= maxKld && bytes < bestBytes) bestKld = kld, bestBytes = bytes;
    }
    return {bestKld, bestBytes};
}

std::string q(const std::string& relative) { return qbtest::sharedPath(relative); }

// Mean KLD of `variant` from `source` on held-out text (llama-perplexity's method and chunks).
double heldOutKld(const Model& source, const Model& variant, int ctx, int chunks) {
    ThreadPool pool(2);
    CpuForward base(source, pool), other(variant, pool);
    const auto tokens = tokenizeEvalText(source, qbtest::readFile(q("text/tinystories_val.txt")));
    return computeKld(base, source, other, variant, tokens, ctx, chunks).kldMean;
}
double heldOutKld(const Model& source, const std::string& path, int ctx, int chunks) { return heldOutKld(source, *loadModel(path), ctx, chunks); }

QuantizeReport quantizeUniform(const Model& model, const std::string& out, const std::string& type, bool pure) {
    QuantizeSpec spec;
    spec.options.target = type;
    spec.options.pure = pure;
    return runQuantize(model, out, spec);
}

QuantizeReport quantizeMix(const Model& model, const std::string& out, MixTarget target, int ctx = 128,
                           std::shared_ptr<const SensitivityTable> measured = {}, int chunks = 0,
                           std::vector<GgmlType> types = defaultMixTypes()) {
    QuantizeSpec spec;
    spec.calibrationChunks = chunks;
    spec.mixTypes = std::move(types);
    spec.mixMeasured = std::move(measured);
    spec.mixTarget = target;
    spec.calibrationText = q("text/tinystories_sample.txt");
    spec.calibrationCtx = ctx;
    return runQuantize(model, out, spec);
}

} // namespace

class TestMix : public QObject {
    Q_OBJECT
    std::unique_ptr<Model> m_model;
    std::shared_ptr<const SensitivityTable> m_table;

    const Model& model() {
        if (!m_model) m_model = loadModel(q("models/stories260K.gguf"));
        return *m_model;
    }
    const SensitivityTable& table() {
        if (!m_table) {
            SensitivityOptions o;
            o.ctx = 128;
            o.threads = 2;
            const auto tokens = tokenizeEvalText(model(), qbtest::readFile(q("text/tinystories_sample.txt")));
            m_table = std::make_shared<const SensitivityTable>(measureSensitivity(model(), tokens, o));
        }
        return *m_table;
    }

private slots:
    void planIsTheOptimumWithinBytes() {
        std::mt19937 rng(7);
        for (int round = 0; round < 40; ++round) {
            const SensitivityTable t = randomTable(rng, 6, 4);
            uint64_t least = 0, most = 0;
            for (const auto& s : t.tensors) least += s.options.front().bytes, most += s.options.back().bytes;
            const uint64_t budget = least + (most - least) * uint64_t(round % 10) / 10;
            const MixChoice m = chooseMixWithinBytes(t, budget, "--target-bytes");
            const auto [kld, bytes] = bruteForce(t, budget, -1);
            QVERIFY(m.bytes <= budget);
            QVERIFY2(std::abs(m.predictedKld - kld) < 1e-12, qPrintable(QString("round %1: %2 vs optimum %3").arg(round).arg(m.predictedKld).arg(kld)));
        }
    }
    void planIsTheSmallestWithinKld() {
        std::mt19937 rng(11);
        for (int round = 0; round < 40; ++round) {
            const SensitivityTable t = randomTable(rng, 6, 4);
            double least = 0, most = 0;
            for (const auto& s : t.tensors) {
                double lo = 1e9, hi = 0;
                for (const auto& o : s.options) lo = std::min(lo, o.kld), hi = std::max(hi, o.kld);
                least += lo, most += hi;
            }
            const double bound = least + (most - least) * double(round % 10) / 10.0;
            const MixChoice m = chooseMixWithinKld(t, bound, "--max-kld");
            const auto [kld, bytes] = bruteForce(t, 0, bound);
            QVERIFY(m.predictedKld <= bound + 1e-12);
            QCOMPARE(m.bytes, bytes);
        }
    }
    void budgetsOutOfReachAreRefusedWithTheBound() {
        std::mt19937 rng(3);
        const SensitivityTable t = randomTable(rng, 4, 3);
        uint64_t least = 0;
        for (const auto& s : t.tensors) least += s.options.front().bytes;
        try {
            chooseMixWithinBytes(t, least - 1, "--target-bytes");
            QFAIL("a budget below the smallest mix was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("--target-bytes") && QString(e.what()).contains("expected at least"), e.what());
            QCOMPARE(e.kind(), ErrorKind::BadInput);
        }
        QVERIFY_THROWS_EXCEPTION(Error, chooseMixWithinKld(t, -1.0, "--max-kld"));
        QVERIFY_THROWS_EXCEPTION(Error, parseMixTypes("Q4_0,Q9_9"));
        QVERIFY_THROWS_EXCEPTION(Error, parseMixTypes("Q4_0,INT8"));
        QCOMPARE(parseMixTypes("q4_0,Q8_0,q4_0").size(), size_t(2));
    }

    // stories260K: 64-wide rows take the 32-block types only; ffn_down (172 wide) takes none and is not in the table
    void sensitivityCoversEveryTensorItsRowsAllow() {
        const SensitivityTable& t = table();
        QCOMPARE(int(t.tensors.size()), 2 + 6 * model().config.nLayers);
        for (const auto& s : t.tensors) {
            QVERIFY2(s.name.find("ffn_down") == std::string::npos, s.name.c_str());
            QCOMPARE(int(s.options.size()), 5); // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0
            for (size_t j = 1; j < s.options.size(); ++j) QVERIFY(s.options[j - 1].bytes <= s.options[j].bytes);
            QVERIFY2(s.options.back().type == GgmlType::Q8_0 && s.options.back().kld < s.options.front().kld, s.name.c_str());
            for (const auto& o : s.options) QVERIFY(std::isfinite(o.kld) && o.kld > -1e-9);
        }
        QCOMPARE(t.positions, t.chunks * 128);
        QCOMPARE(t.forwardPasses, t.chunks * (1 + 5 * int(t.tensors.size())));
    }
    // an entry is what a file with that one tensor quantized measures
    void sensitivityIsTheDivergenceOfThatOneTensor() {
        const SensitivityTable& t = table();
        const std::string dir = qbtest::scratchDir("mix-one");
        for (const char* name : {"blk.2.attn_v.weight", "output.weight"}) {
            const TensorSensitivity* s = nullptr;
            for (const auto& e : t.tensors)
                if (e.name == name) s = &e;
            QVERIFY(s);
            QuantizeSpec spec;
            spec.options.target = "F32";
            spec.options.typeOverrides = {{name, GgmlType::Q4_0}};
            const std::string out = dir + "/one.gguf";
            runQuantize(model(), out, spec);
            MixSpec mix;
            mix.calibrationText = q("text/tinystories_sample.txt");
            mix.ctx = 128;
            const double measured = measureMixDivergence(model(), out, mix, 2);
            QCOMPARE(s->options.front().type, GgmlType::Q4_0);
            QVERIFY2(std::abs(measured - s->options.front().kld) <= 1e-9 * std::max(1.0, measured),
                     qPrintable(QString("%1: %2 vs %3").arg(name).arg(measured).arg(s->options.front().kld)));
            QVERIFY(measured > 0);
        }
    }

    // On held-out text, at ctx 128 and 512: a mix at each uniform file's size beats it.
    void mixBeatsUniformFilesOfTheSameSize_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("pure");
        QTest::newRow("Q4_1 pure") << "Q4_1" << true;
        QTest::newRow("Q4_1") << "Q4_1" << false;
        QTest::newRow("Q4_0") << "Q4_0" << false;
        QTest::newRow("Q5_0 pure") << "Q5_0" << true;
    }
    void mixBeatsUniformFilesOfTheSameSize() {
        QFETCH(QString, type);
        QFETCH(bool, pure);
        const std::string dir = qbtest::scratchDir("mix-vs-uniform");
        const std::string uniform = dir + "/uniform.gguf", mixed = dir + "/mix.gguf";
        quantizeUniform(model(), uniform, type.toStdString(), pure);
        const uint64_t size = std::filesystem::file_size(uniform);
        table();
        const QuantizeReport r = quantizeMix(model(), mixed, {MixGoal::FileBytes, double(size)}, 128, m_table);
        QVERIFY(r.mix);
        QVERIFY(std::filesystem::file_size(mixed) <= size);
        QVERIFY(r.mix->measuredKld > 0 && r.mix->predictedKld > 0);
        for (auto [ctx, chunks] : {std::pair{128, 100}, std::pair{512, 25}}) {
            const double kldUniform = heldOutKld(model(), uniform, ctx, chunks), kldMix = heldOutKld(model(), mixed, ctx, chunks);
            qInfo("%s (%llu B) vs mix (%llu B), ctx %d x %d on tinystories_val.txt: KLD %.6f vs %.6f", qPrintable(type),
                  (unsigned long long)size, (unsigned long long)std::filesystem::file_size(mixed), ctx, chunks, kldUniform, kldMix);
            QVERIFY2(kldMix < kldUniform, qPrintable(QString("ctx %1: mix %2 vs %3 %4").arg(ctx).arg(kldMix).arg(type).arg(kldUniform)));
        }
    }

    // Where the K-quants apply (stories260K padded to 256-wide rows, the same function): a mix at the
    // size of the file `quantize --type Q4_K_M` writes beats it on held-out text.
    void mixBeatsQ4KMWhereKQuantsApply() {
        const std::string dir = qbtest::scratchDir("mix-wide");
        qbtest::writeWideStories(dir + "/wide.gguf");
        const auto wide = loadModel(dir + "/wide.gguf");
        const double same = heldOutKld(model(), *wide, 128, 20);
        QVERIFY2(same < 1e-6, qPrintable(QString("the padded model is not stories260K: KLD %1").arg(same)));
        const std::string uniform = dir + "/q4_k_m.gguf", mixed = dir + "/mix.gguf";
        quantizeUniform(*wide, uniform, "Q4_K_M", false);
        const uint64_t size = std::filesystem::file_size(uniform);
        // the types Q4_K_M uses and their neighbours, 2 chunks: the 16x wider model makes every probe 16x dearer
        const QuantizeReport r = quantizeMix(*wide, mixed, {MixGoal::FileBytes, double(size)}, 128, {}, 2,
                                             {GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_0});
        QVERIFY(std::filesystem::file_size(mixed) <= size);
        for (auto [ctx, chunks] : {std::pair{128, 30}, std::pair{512, 8}}) {
            const double kldUniform = heldOutKld(*wide, uniform, ctx, chunks), kldMix = heldOutKld(*wide, mixed, ctx, chunks);
            qInfo("wide Q4_K_M (%llu B) vs mix (%llu B), ctx %d x %d on tinystories_val.txt: KLD %.6f vs %.6f (predicted %.6f, measured %.6f on "
                  "the calibration chunks)",
                  (unsigned long long)size, (unsigned long long)std::filesystem::file_size(mixed), ctx, chunks, kldUniform, kldMix,
                  r.mix->predictedKld, r.mix->measuredKld);
            QVERIFY2(kldMix < kldUniform, qPrintable(QString("ctx %1: mix %2 vs Q4_K_M %3").arg(ctx).arg(kldMix).arg(kldUniform)));
        }
    }

    void targetsOutOfReachAreRefused() {
        const std::string out = qbtest::scratchDir("mix-refused") + "/x.gguf";
        // ffn_down stays F16 and the norms F32, so no mix of these types reaches 4.5 bpw overall
        for (MixTarget target : {MixTarget{MixGoal::BitsPerWeight, 4.5}, MixTarget{MixGoal::BitsPerWeight, 40.0},
                                 MixTarget{MixGoal::FileBytes, 1000.0}, MixTarget{MixGoal::MaxKld, 0.0}}) {
            try {
                quantizeMix(model(), out, target);
                QFAIL(qPrintable(QString::fromStdString(target.label()) + " was accepted"));
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains(QString::fromStdString(target.option())), e.what());
                QCOMPARE(e.kind(), ErrorKind::BadInput);
            }
            QVERIFY(!std::filesystem::exists(out));
        }
        try { // calibration text shorter than one context
            quantizeMix(model(), out, {MixGoal::BitsPerWeight, 8.0}, 100000);
            QFAIL("a calibration text shorter than --ctx was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("--calib") && QString(e.what()).contains("--ctx"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestMix)
#include "test_mix.moc"
