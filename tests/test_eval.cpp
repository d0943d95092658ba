// Evaluation measures on both devices (the CPU reference and Vulkan on
// lavapipe with the validation layer on): KL-divergence and multiple choice
// against llama.cpp's own figures (../shared/golden/README.md), the KV-cache
// rollback they rely on, memory estimates against allocations, speed, and
// cancel within a second.
#include "common/error.h"
#include "eval/kld.h"
#include "eval/memory.h"
#include "eval/multiple_choice.h"
#include "eval/perplexity.h"
#include "eval/speed.h"
#include "model/forward_cpu.h"
#include "run/runner.h"
#include "support/test_eval.h"
#include "support/test_paths.h"
#include "vk/context.h"
#include "vk/engine.h"

#include <QtTest>
#include <chrono>
#include <cstdlib>
#include <thread>

using namespace qb;

namespace {

std::unique_ptr<Model> shared(const std::string& rel) { return loadModel(qbtest::sharedPath(rel)); }

std::vector<int> valTokens(const Model& m) { return tokenizeEvalText(m, qbtest::readFile(qbtest::sharedPath("text/tinystories_val.txt"))); }

// A forward pass on `device` ("cpu" or "vulkan"), Vulkan with the validation layer.
std::unique_ptr<Runner> open(const Model& m, const QString& device, int ctx) { return qbtest::openValidated(m, device.toStdString(), ctx); }

void noValidationErrors(const Runner& r) {
    if (r.vulkan) QCOMPARE(r.vulkan->validationErrors(), 0);
}

void addDevices() {
    QTest::addColumn<QString>("device");
    QTest::newRow("cpu") << "cpu";
    QTest::newRow("vulkan") << "vulkan";
}

} // namespace

class TestEval : public QObject {
    Q_OBJECT
private slots:
    // llama-perplexity --kl-divergence, base = stories260K F32, ctx 512, 50 chunks:
    // Q4_0 file mean 0.079323, p99 0.627434, same top 86.518 % (the table).
    void kldMatchesLlamaCpp_data() { addDevices(); }
    void kldMatchesLlamaCpp() {
        QFETCH(QString, device);
        const auto base = shared("models/stories260K.gguf");
        const auto q4 = shared("golden/stories260K-q4_0.llamacpp.gguf");
        const auto tokens = valTokens(*base);
        const auto rb = open(*base, device, 512), rq = open(*q4, device, 512);
        const KldResult k = computeKld(*rb->forward, *base, *rq->forward, *q4, tokens, 512, 50);
        QCOMPARE(k.chunks, 50);
        QCOMPARE(k.tokensScored, 50 * 255);
        QVERIFY2(std::abs(k.kldMean - 0.079323) < 0.05 * 0.079323, qPrintable(QString::number(k.kldMean, 'f', 6)));
        QVERIFY2(std::abs(k.kldP99 - 0.627434) < 0.05 * 0.627434, qPrintable(QString::number(k.kldP99, 'f', 6)));
        QVERIFY2(std::abs(k.top1Agreement - 86.518) < 0.5, qPrintable(QString::number(k.top1Agreement, 'f', 3)));
        QVERIFY(k.kldMedian < k.kldMean && k.kldP90 < k.kldP99 && k.kldP99 < k.kldMax && k.kldMin >= -1e-9);
        QVERIFY(k.kldStderr > 0 && k.top1Stderr > 0 && k.lnPplRatioStderr > 0);
        // ln(PPL(Q)/PPL(base)) is the log of the two perplexities' ratio
        QVERIFY(std::abs(k.lnPplRatio - std::log(k.ppl / k.pplBase)) < 1e-12);
        // ppl_base is the base model's own perplexity, bit for bit (no logits file in between)
        const PerplexityResult p = computePerplexity(*rb->forward, *base, tokens, 512, 50);
        QCOMPARE(k.pplBase, p.ppl);
        QCOMPARE(k.pplBaseStderr, p.pplStderr);
        QVERIFY(std::abs(k.pplBase - 3.8662) < 5e-4);
        QVERIFY(std::abs(k.ppl - 4.1791) < 5e-3 * 4.1791);
        noValidationErrors(*rb);
        noValidationErrors(*rq);
    }
    void kldOfAModelWithItselfIsZero() {
        const auto base = shared("models/stories260K.gguf");
        const auto tokens = valTokens(*base);
        const auto a = open(*base, "cpu", 128), b = open(*base, "cpu", 128);
        const KldResult k = computeKld(*a->forward, *base, *b->forward, *base, tokens, 128, 4);
        QCOMPARE(k.top1Agreement, 100.0);
        QVERIFY(std::abs(k.kldMean) < 1e-12 && std::abs(k.kldMax) < 1e-12);
        QCOMPARE(k.ppl, k.pplBase);
        QCOMPARE(k.deltaPRms, 0.0);
    }
    void kldRefusesAnotherVocabulary() {
        const auto base = shared("models/stories260K.gguf");
        auto patched = loadModel(qbtest::sharedPath("golden/stories260K-q8_0.llamacpp.gguf"));
        auto vocab = std::make_shared<Vocab>(*patched->vocab);
        vocab->tokens[300] = "something else";
        patched->vocab = vocab;
        const auto a = open(*base, "cpu", 64), b = open(*patched, "cpu", 64);
        try {
            computeKld(*a->forward, *base, *b->forward, *patched, valTokens(*base), 64, 1);
            QFAIL("a different vocabulary was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("tokenizer.ggml.tokens"), e.what());
        }
    }
    void percentilesInterpolate() {
        const std::vector<float> v{0, 1, 2, 3, 4};
        QCOMPARE(percentileSorted(v, 0.5), 2.0);
        QVERIFY(std::abs(percentileSorted(v, 0.99) - 3.96) < 1e-6); // 0.99 * 4 = 3.96: between the 4th and 5th values
        QCOMPARE(percentileSorted(v, 0.0), 0.0);
        QCOMPARE(percentileSorted(v, 1.0), 4.0);
    }

    // Rolling the KV cache back and running on gives the logits a straight run gives.
    void rollbackContinuesExactly_data() { addDevices(); }
    void rollbackContinuesExactly() {
        QFETCH(QString, device);
        const auto m = shared("golden/stories260K-q4_0.llamacpp.gguf");
        const auto r = open(*m, device, 64);
        const std::vector<int> a{1, 400, 263, 931 % 512, 338, 29, 42, 99}, b{1, 400, 263, 931 % 512, 77, 78, 79};
        std::vector<float> straight, rolled, ignored;
        r->forward->reset();
        r->forward->forward(b.data(), int(b.size()), straight, true);
        r->forward->reset();
        r->forward->forward(a.data(), int(a.size()), ignored, true);
        r->forward->rollback(4);
        QCOMPARE(r->forward->position(), 4);
        r->forward->forward(b.data() + 4, 3, rolled, true);
        const size_t V = size_t(m->config.vocabSize);
        QCOMPARE(rolled.size(), 3 * V);
        QVERIFY(std::equal(rolled.begin(), rolled.end(), straight.begin() + 4 * long(V)));
        noValidationErrors(*r);
    }

    // llama-perplexity --hellaswag --hellaswag-tasks 400: F32 43.00 %, Q4_0 file 42.25 %.
    void multipleChoiceMatchesLlamaCpp_data() {
        QTest::addColumn<QString>("device");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("tasks");
        QTest::addColumn<double>("llamaCpp");
        QTest::newRow("cpu F32 txt") << "cpu" << "models/stories260K.gguf" << "eval/tinystories-mc.txt" << 43.00;
        QTest::newRow("vulkan Q4_0 jsonl") << "vulkan" << "golden/stories260K-q4_0.llamacpp.gguf" << "eval/tinystories-mc.jsonl" << 42.25;
    }
    void multipleChoiceMatchesLlamaCpp() {
        QFETCH(QString, device);
        QFETCH(QString, file);
        QFETCH(QString, tasks);
        QFETCH(double, llamaCpp);
        const auto m = shared(file.toStdString());
        const auto t = loadMcTasks(qbtest::sharedPath(tasks.toStdString()));
        QCOMPARE(int(t.size()), 400);
        const auto tok = tokenizeMcTasks(*m, t);
        const auto r = open(*m, device, mcContextNeeded(tok));
        const McResult res = evaluateMc(*r->forward, *m, t, tok);
        QCOMPARE(res.tasks, 400);
        // within two tasks of llama.cpp's figure
        QVERIFY2(std::abs(res.accPerToken - llamaCpp) <= 0.5 + 1e-9, qPrintable(QString::number(res.accPerToken)));
        for (double acc : {res.acc, res.accNorm, res.accPerToken}) QVERIFY(acc > 25 && acc < 60); // above chance (25 %)
        QVERIFY(std::abs(res.accPerTokenStderr - 100 * std::sqrt(res.accPerToken / 100 * (1 - res.accPerToken / 100) / 399)) < 1e-9);
        noValidationErrors(*r);
    }
    void taskFormatsAgree() {
        const auto a = loadMcTasks(qbtest::sharedPath("eval/tinystories-mc.txt"));
        const auto b = loadMcTasks(qbtest::sharedPath("eval/tinystories-mc.jsonl"));
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].context, b[i].context);
            QCOMPARE(a[i].endings, b[i].endings);
            QCOMPARE(a[i].label, b[i].label);
        }
    }
    void malformedTasksNameTheLine_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("5 lines") << "ctx\n0\na\nb\nc\n" << "expected 6 per task";
        QTest::newRow("bad label") << "ctx\n7\na\nb\nc\nd\n" << "line 2";
        QTest::newRow("json") << "{\"ctx\": \"a\", \"endings\": [\"x\", \"y\"], \"label\": 0}\n{\"ctx\": 3}\n" << "line 2: key 'ctx'";
        QTest::newRow("json label") << "{\"ctx\": \"a\", \"endings\": [\"x\", \"y\"], \"label\": 2}\n" << "key 'label': 2, expected 0..1";
        QTest::newRow("not json") << "{\"ctx\": \n" << "line 1: not JSON";
        QTest::newRow("empty") << "\n\n" << "no tasks";
    }
    void malformedTasksNameTheLine() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        try {
            parseMcTasks(text.toStdString(), "tasks.txt");
            QFAIL("accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).startsWith("tasks.txt") && QString(e.what()).contains(expected), e.what());
        }
    }

    // The estimate before loading is what the engine then allocates.
    void memoryEstimateMatchesAllocation_data() { addDevices(); }
    void memoryEstimateMatchesAllocation() {
        QFETCH(QString, device);
        const auto m = shared("models/stories260K.gguf");
        const auto r = open(*m, device, 256);
        std::vector<float> logits;
        const std::vector<int> prompt(256, 5);
        r->forward->forward(prompt.data(), 256, logits, false);
        const MemoryUse used = r->forward->memoryUse();
        const MemoryUse est = estimateMemory(*m, device.toStdString(), 256, KvCacheType::F16, 256);
        QCOMPARE(est.weights, used.weights);
        QCOMPARE(est.kvCache, used.kvCache);
        QVERIFY2(est.scratch >= used.scratch && est.scratch <= used.scratch + used.scratch / 10 + 4096,
                 qPrintable(QString("%1 vs %2").arg(est.scratch).arg(used.scratch)));
        QVERIFY(hostMemory().peakResidentBytes >= hostMemory().residentBytes && hostMemory().residentBytes > 0);
        noValidationErrors(*r);
    }
    void speedReportsRates_data() { addDevices(); }
    void speedReportsRates() {
        QFETCH(QString, device);
        const auto m = shared("models/stories260K.gguf");
        const auto r = open(*m, device, 65);
        const SpeedResult s = measureSpeed(*r->forward, m->config.vocabSize, 64, 8, 2);
        QVERIFY(s.ppTokensPerSecond > 0 && s.tgTokensPerSecond > 0 && s.ttftSeconds > 0);
        QVERIFY(std::abs(64 / s.ttftSeconds - s.ppTokensPerSecond) < 0.5 * s.ppTokensPerSecond); // the same prefills, mean of rates vs mean of times
        noValidationErrors(*r);
    }

    // A cancel from another thread stops a long measurement within a second.
    void cancelWithinASecond_data() { addDevices(); }
    void cancelWithinASecond() {
        QFETCH(QString, device);
        const auto m = shared("models/stories260K.gguf");
        const auto tokens = valTokens(*m);
        const auto r = open(*m, device, 512);
        CancelToken cancel;
        int events = 0;
        Job job([&](const ProgressEvent& e) {
            ++events;
            QCOMPARE(QString::fromStdString(e.stage), QString("perplexity"));
            QVERIFY(e.done <= e.total && e.etaSeconds >= 0);
        },
                &cancel);
        using Clock = std::chrono::steady_clock;
        Clock::time_point cancelledAt;
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(700));
            cancelledAt = Clock::now();
            cancel.cancel();
        });
        bool threw = false;
        try {
            computePerplexity(*r->forward, *m, tokens, 512, 0, job);
        } catch (const Error& e) {
            threw = e.kind() == ErrorKind::Cancelled;
        }
        const double late = std::chrono::duration<double>(Clock::now() - cancelledAt).count();
        canceller.join();
        QVERIFY(threw);
        QVERIFY2(late < 1.0 * qbtest::timeScale(), qPrintable(QString::number(late))); // scaled only under sanitizers
        QVERIFY(events >= 1);
    }
};

QTEST_APPLESS_MAIN(TestEval)
#include "test_eval.moc"
