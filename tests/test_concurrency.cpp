// Two models at once (the A/B chat): two sessions on two threads — two Vulkan
// contexts, the CPU beside Vulkan, or two forward passes sharing one context —
// give exactly the text each gives alone, under the validation layer. Also a
// thread pool shared by two callers, a forward pass that fails mid-record
// staying usable, and a model upload that reports progress and can be cancelled.
#include "chat/chat_session.h"
#include "common/error.h"
#include "common/thread_pool.h"
#include "run/runner.h"
#include "support/chat_model.h"
#include "support/test_eval.h"
#include "support/test_paths.h"
#include "vk/context.h"
#include "vk/engine.h"

#include <QtTest>
#include <atomic>
#include <thread>

using namespace qb;

namespace {

std::unique_ptr<Runner> open(const Model& m, const std::string& device, int ctx = 256) { return qbtest::openValidated(m, device, ctx); }

// Two greedy turns; the replies joined.
std::string converse(const Model& m, ForwardPass& f, const std::vector<std::string>& turns) {
    ChatOptions o;
    o.sampling.temperature = 0;
    o.maxTokens = 24;
    ChatSession s(m, f, o);
    std::string all;
    for (const auto& t : turns) {
        s.send(t);
        all += s.messages().back().content + "|";
    }
    return all;
}

} // namespace

class TestConcurrency : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { qputenv("QUANTBENCH_VALIDATION", "1"); }

    void twoSessionsAtOnce_data() {
        QTest::addColumn<QString>("deviceA");
        QTest::addColumn<QString>("deviceB");
        QTest::newRow("vulkan + vulkan") << "vulkan" << "vulkan";
        QTest::newRow("cpu + vulkan") << "cpu" << "vulkan";
    }
    void twoSessionsAtOnce() {
        QFETCH(QString, deviceA);
        QFETCH(QString, deviceB);
        // A: the F32 model with a ChatML template; B: the llama.cpp Q4_0 file, plain transcript
        const auto ma = loadModel(qbtest::chatMlStoriesCopy());
        const auto mb = loadModel(qbtest::sharedPath("golden/stories260K-q4_0.llamacpp.gguf"));
        const std::vector<std::string> ta{"Hello", "Tell me about a cat."}, tb{"Once upon a time", "The dog barked."};
        std::string aloneA, aloneB;
        {
            const auto ra = open(*ma, deviceA.toStdString());
            aloneA = converse(*ma, *ra->forward, ta);
            const auto rb = open(*mb, deviceB.toStdString());
            aloneB = converse(*mb, *rb->forward, tb);
        }
        for (int round = 0; round < 2; ++round) {
            const auto ra = open(*ma, deviceA.toStdString());
            const auto rb = open(*mb, deviceB.toStdString());
            std::string a, b;
            std::exception_ptr fa, fb;
            std::thread threadA([&] {
                try {
                    a = converse(*ma, *ra->forward, ta);
                } catch (...) {
                    fa = std::current_exception();
                }
            });
            std::thread threadB([&] {
                try {
                    b = converse(*mb, *rb->forward, tb);
                } catch (...) {
                    fb = std::current_exception();
                }
            });
            threadA.join();
            threadB.join();
            if (fa) std::rethrow_exception(fa);
            if (fb) std::rethrow_exception(fb);
            QCOMPARE(a, aloneA);
            QCOMPARE(b, aloneB);
            for (const Runner* r : {ra.get(), rb.get()})
                if (r->vulkan) QCOMPARE(r->vulkan->validationErrors(), 0);
        }
    }

    // Two forward passes on one context (one device, one queue) from two threads.
    void twoForwardsShareOneContext() {
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        vk::ContextOptions co;
        co.validation = true;
        vk::Context ctx(co);
        vk::VkForwardOptions fo;
        fo.contextLength = 128;
        vk::VkForward f1(*m, ctx, fo), f2(*m, ctx, fo);
        const std::string alone = converse(*m, f1, {"Once upon a time"});
        f1.reset();
        std::string a, b;
        std::thread t1([&] { a = converse(*m, f1, {"Once upon a time"}); });
        std::thread t2([&] { b = converse(*m, f2, {"Once upon a time"}); });
        t1.join();
        t2.join();
        QCOMPARE(a, alone);
        QCOMPARE(b, alone);
        QCOMPARE(ctx.validationErrors(), 0);
    }

    void threadPoolTakesTwoCallers() {
        ThreadPool pool(2);
        std::atomic<int64_t> sums[2] = {0, 0};
        auto caller = [&](int k) {
            for (int rep = 0; rep < 200; ++rep)
                pool.parallelFor(1000, [&](int64_t b, int64_t e) {
                    int64_t s = 0;
                    for (int64_t i = b; i < e; ++i) s += i;
                    sums[k] += s;
                });
        };
        std::thread t0(caller, 0), t1(caller, 1);
        t0.join();
        t1.join();
        QCOMPARE(int64_t(sums[0]), int64_t(200) * 999 * 1000 / 2);
        QCOMPARE(int64_t(sums[1]), int64_t(200) * 999 * 1000 / 2);
    }

    void failedRecordLeavesTheBatchUsable() {
        const auto m = loadModel(qbtest::sharedPath("golden/stories260K-q4_0.llamacpp.gguf"));
        vk::ContextOptions co;
        co.validation = true;
        vk::Context ctx(co);
        vk::VkForward f(*m, ctx);
        const std::vector<int> prompt{1, 400, 263, 29, 42};
        std::vector<float> expected, got;
        f.forward(prompt.data(), int(prompt.size()), expected, true);
        for (int after : {0, 5, 17}) {
            f.reset();
            f.injectRecordingFailure(after);
            QVERIFY_THROWS_EXCEPTION(Error, f.forward(prompt.data(), int(prompt.size()), got, true));
            QCOMPARE(f.position(), 0); // nothing was committed
            f.forward(prompt.data(), int(prompt.size()), got, true);
            QVERIFY(got == expected);
        }
        QCOMPARE(ctx.validationErrors(), 0);
    }

    void uploadReportsProgressAndCancels() {
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        std::vector<ProgressEvent> events;
        CancelToken cancel;
        Job job([&](const ProgressEvent& e) { events.push_back(e); }, &cancel);
        RunOptions o;
        o.device = "vulkan";
        o.contextLength = 64;
        o.job = &job;
        const auto r = openRunner(*m, o);
        QVERIFY(events.size() >= 3);
        QCOMPARE(QString::fromStdString(events.back().stage), QString("upload"));
        QCOMPARE(events.back().done, events.back().total);
        int cancelledAt = -1;
        Job stopping([&](const ProgressEvent& e) {
            if (e.done >= 2) {
                cancel.cancel();
                cancelledAt = int(e.done);
            }
        },
                     &cancel);
        o.job = &stopping;
        try {
            openRunner(*m, o);
            QFAIL("the upload was not cancelled");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Cancelled));
        }
        QCOMPARE(cancelledAt, 2);
    }
};

QTEST_APPLESS_MAIN(TestConcurrency)
#include "test_concurrency.moc"
