// Perplexity by llama-perplexity's method must agree with llama.cpp's own
// figures (../shared/golden/README.md) to 4 significant digits.
#include "common/error.h"
#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/tokenizer.h"
#include "support/test_eval.h"
#include "support/test_paths.h"
#include "vk/context.h"

#include <QtTest>

#include <cstring>

using namespace qb;

namespace {
double ppl128(const Model& m) { return qbtest::valPerplexity(m, 128, 40); } // the CPU reference, ctx 128, 40 chunks
} // namespace

class TestPerplexity : public QObject {
    Q_OBJECT
private slots:
    void matchesLlamaCpp_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<double>("llamaCpp");
        QTest::newRow("F32") << "models/stories260K.gguf" << 3.8662;
        QTest::newRow("F16") << "golden/stories260K-f16.llamacpp.gguf" << 3.8660;
        QTest::newRow("Q8_0") << "golden/stories260K-q8_0.llamacpp.gguf" << 3.8736;
        QTest::newRow("Q4_0") << "golden/stories260K-q4_0.llamacpp.gguf" << 4.1791;
    }
    void matchesLlamaCpp() {
        QFETCH(QString, file);
        QFETCH(double, llamaCpp);
        auto m = loadModel(qbtest::sharedPath(file.toStdString()));
        Tokenizer tok(m->vocab);
        const auto tokens = tok.encode(qbtest::readFile(qbtest::sharedPath("text/tinystories_val.txt")), true, false);
        ThreadPool pool(2);
        CpuForwardOptions o;
        o.contextLength = 512;
        CpuForward fwd(*m, pool, o);
        // the method spelled out here (chunks, scored tokens, stderr); other tests use qbtest::valPerplexity
        const auto r = computePerplexity(tokens, evalBos(*m->vocab), 512, 50, m->config.vocabSize,
                                         [&](const std::vector<int>& chunk, std::vector<float>& logits) {
                                             fwd.reset();
                                             fwd.forward(chunk.data(), int(chunk.size()), logits, true);
                                         });
        QCOMPARE(r.chunks, 50);
        QCOMPARE(r.tokensScored, 50 * (512 - 1 - 256));
        QVERIFY2(std::abs(r.ppl - llamaCpp) <= 5e-4 * llamaCpp, qPrintable(QString("ppl %1 vs llama.cpp %2").arg(r.ppl, 0, 'f', 5).arg(llamaCpp)));
        QVERIFY(r.pplStderr > 0 && r.pplStderr < 0.1);
    }
    // The architecture test models (../shared/models/arch/README.md): Llama 3.1-style
    // RoPE scaling (rope_freqs.weight), Phi-3 (fused q|k|v and gate|up, NeoX RoPE,
    // the query scaled before Q·K) and Gemma 2 (GeGLU, post-norms, soft-caps, a window
    // of 32 on even layers): llama.cpp's figures within 1e-4, on the CPU
    // reference and on Vulkan, which give the same bits.
    void architecturesMatchLlamaCpp_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("device");
        QTest::addColumn<int>("ctx");
        QTest::addColumn<int>("chunks");
        QTest::addColumn<double>("llamaCpp");
        for (const char* d : {"cpu", "vulkan"}) {
            QTest::addRow("llama3-rope %s ctx 128", d) << "stories260K-llama3-rope.gguf" << d << 128 << 40 << 14.8110;
            QTest::addRow("llama3-rope %s ctx 512", d) << "stories260K-llama3-rope.gguf" << d << 512 << 10 << 13.9610;
            QTest::addRow("phi3 %s ctx 128", d) << "stories260K-as-phi3.gguf" << d << 128 << 40 << 103.9599;
            QTest::addRow("phi3 %s ctx 512", d) << "stories260K-as-phi3.gguf" << d << 512 << 10 << 230.5442;
            QTest::addRow("gemma2 %s ctx 128", d) << "stories260K-as-gemma2.gguf" << d << 128 << 40 << 96.1520;
            QTest::addRow("gemma2 %s ctx 512", d) << "stories260K-as-gemma2.gguf" << d << 512 << 10 << 92.5843;
        }
    }
    void architecturesMatchLlamaCpp() {
        QFETCH(QString, file);
        QFETCH(QString, device);
        QFETCH(int, ctx);
        QFETCH(int, chunks);
        QFETCH(double, llamaCpp);
        auto m = loadModel(qbtest::sharedPath("models/arch/" + file.toStdString()));
        const auto r = qbtest::openValidated(*m, device.toStdString(), ctx);
        const double ppl = qbtest::valPerplexity(*r->forward, *m, ctx, chunks);
        QVERIFY2(std::abs(ppl - llamaCpp) <= 1e-4 * llamaCpp, qPrintable(QString("ppl %1 vs llama.cpp %2").arg(ppl, 0, 'f', 5).arg(llamaCpp)));
        if (r->vulkan) QCOMPARE(r->vulkan->validationErrors(), 0);
    }
    // Decode (one token at a time, Vulkan's fused decode kernels) gives the CPU's greedy text.
    void architecturesDecodeAlikeOnBothDevices_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("llama3-rope") << "stories260K-llama3-rope.gguf";
        QTest::newRow("phi3") << "stories260K-as-phi3.gguf";
        QTest::newRow("gemma2") << "stories260K-as-gemma2.gguf"; // 100 tokens: past its window of 32
    }
    void architecturesDecodeAlikeOnBothDevices() {
        QFETCH(QString, file);
        auto m = loadModel(qbtest::sharedPath("models/arch/" + file.toStdString()));
        const auto cpu = qbtest::openValidated(*m, "cpu", 256), vk = qbtest::openValidated(*m, "vulkan", 256);
        QCOMPARE(qbtest::greedyFromBos(*vk->forward, *m, 100), qbtest::greedyFromBos(*cpu->forward, *m, 100)); // past the original context of 64
        QCOMPARE(vk->vulkan->validationErrors(), 0);
    }
    // Phi-3's fused tensors are views of the file's rows: q|k|v and gate|up in order.
    void phi3FusedTensorsAreSplitIntoViews() {
        auto m = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        const LayerWeights& L = m->weights.layers[0];
        const Tensor* qkv = nullptr;
        for (const Tensor& t : m->tensors)
            if (t.name == "blk.0.attn_qkv.weight") qkv = &t;
        QVERIFY(qkv);
        QCOMPARE(L.wq.data, qkv->data);
        QCOMPARE(L.wk.data, qkv->data + 64 * qkv->rowStride());
        QCOMPARE(L.wv.data, qkv->data + (64 + 32) * qkv->rowStride());
        QCOMPARE(L.wUp.data, L.wGate.data + 172 * L.wGate.rowStride());
        QCOMPARE(m->config.slidingWindow, 2048);
        QVERIFY_THROWS_EXCEPTION(Error, qbtest::openValidated(*m, "cpu", 4096)); // beyond the sliding window: refused, not run wrong
    }
    // Gemma 2 on Vulkan gives the CPU reference's logits bit for bit: a prefill of 100
    // tokens (past the window of 32, so local and global layers differ) and the decode
    // steps after it (the fused decode attention), every position.
    void gemma2LogitsBitIdenticalOnBothDevices() {
        auto m = loadModel(qbtest::sharedPath("models/arch/stories260K-as-gemma2.gguf"));
        std::vector<int> ids{m->vocab->bos};
        for (int i = 1; i < 100; ++i) ids.push_back(3 + (i * 37) % 500);
        const std::vector<float> want = qbtest::cpuLogits(*m, ids);
        const auto vk = qbtest::openValidated(*m, "vulkan", 128);
        std::vector<float> got, step;
        vk->forward->forward(ids.data(), 90, got, true);
        for (int i = 90; i < 100; ++i) { // then one token at a time
            vk->forward->forward(&ids[size_t(i)], 1, step, false);
            got.insert(got.end(), step.begin(), step.end());
        }
        const std::string diff = qbtest::compareWithCpu(got, want, *vk->forward); // bit for bit on lavapipe
        QVERIFY2(diff.empty(), diff.c_str());
        QCOMPARE(vk->vulkan->validationErrors(), 0);
    }
    // Gemma 2's hyper-parameters as llama.cpp reads them, and what each changes.
    void gemma2ConfigAndEachFeatureMatters() {
        auto m = loadModel(qbtest::sharedPath("models/arch/stories260K-as-gemma2.gguf"));
        const ModelConfig& c = m->config;
        QCOMPARE(c.arch, Architecture::Gemma2);
        QCOMPARE(c.headDim, 8);
        QCOMPARE(c.localWindow, 32);
        QCOMPARE(c.windowAt(0), 32);
        QCOMPARE(c.windowAt(1), 0);
        QCOMPARE(c.attnSoftcap, 50.0f);
        QCOMPARE(c.finalSoftcap, 30.0f);
        QCOMPARE(c.embeddingScale, 8.0f);
        QVERIFY(c.queryPreScale && c.postNorms && c.ffnActivation == FfnActivation::GeluTanh);
        QVERIFY(m->weights.layers[25].postFfnNorm.present());
        QVERIFY(m->weights.output.data == m->weights.tokenEmbedding.data); // tied
        // each feature changes the figure: none of them is silently a no-op
        const double base = ppl128(*m);
        QVERIFY2(std::abs(base - 96.1520) <= 1e-4 * 96.1520, qPrintable(QString::number(base, 'f', 4)));
        for (int feature = 0; feature < 4; ++feature) {
            ModelConfig saved = m->config;
            if (feature == 0) m->config.localWindow = 0;
            if (feature == 1) m->config.attnSoftcap = 0;
            if (feature == 2) m->config.finalSoftcap = 0;
            if (feature == 3) m->config.ffnActivation = FfnActivation::SiLU;
            const double changed = ppl128(*m);
            m->config = saved;
            QVERIFY2(std::abs(changed - base) > 1e-3 * base, qPrintable(QString("feature %1: %2").arg(feature).arg(changed)));
        }
    }
    void methodOnAToyModel() {
        // A "model" that always predicts uniformly over V tokens has PPL exactly V.
        const int V = 7, ctx = 8;
        std::vector<int> tokens(40, 3);
        const auto r = computePerplexity(tokens, 1, ctx, 0, V, [&](const std::vector<int>& chunk, std::vector<float>& logits) {
            QCOMPARE(chunk[0], 1); // first token replaced by BOS
            logits.assign(size_t(ctx) * V, 0.5f);
        });
        QCOMPARE(r.chunks, 40 / ctx);
        QCOMPARE(r.tokensScored, r.chunks * (ctx - 1 - ctx / 2));
        QVERIFY(std::abs(r.ppl - V) < 1e-9);
    }
};

QTEST_APPLESS_MAIN(TestPerplexity)
#include "test_perplexity.moc"
