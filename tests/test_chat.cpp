// Chat sessions on both devices: multi-turn with KV-cache reuse (plain
// transcript and a ChatML template), regenerate and edit rolling the cache
// back, stop strings held back and cut, a full context handled by policy,
// bad input refused with the session intact, and a 1,000-turn soak.
#include "chat/chat_session.h"
#include "chat/divergence.h"
#include "common/error.h"
#include "eval/memory.h"
#include "model/synth.h"
#include "run/generate.h"
#include "run/runner.h"
#include "support/chat_model.h"
#include "support/test_eval.h"
#include "support/test_paths.h"
#include "vk/context.h"

#include <QtTest>

using namespace qb;

namespace {

std::unique_ptr<Runner> open(const Model& m, const QString& device, int ctx) { return qbtest::openValidated(m, device.toStdString(), ctx); }

ChatOptions greedy(int maxTokens) {
    ChatOptions o;
    o.sampling.temperature = 0;
    o.maxTokens = maxTokens;
    return o;
}

void devicesOnly() {
    QTest::addColumn<QString>("device");
    QTest::newRow("cpu") << "cpu";
    QTest::newRow("vulkan") << "vulkan";
}

void addDevices() {
    QTest::addColumn<QString>("device");
    QTest::addColumn<bool>("chatml");
    QTest::newRow("cpu plain") << "cpu" << false;
    QTest::newRow("cpu chatml") << "cpu" << true;
    QTest::newRow("vulkan plain") << "vulkan" << false;
    QTest::newRow("vulkan chatml") << "vulkan" << true;
}

} // namespace

class TestChat : public QObject {
    Q_OBJECT
private slots:
    void turnsEvaluateOnlyNewTokens_data() { addDevices(); }
    void turnsEvaluateOnlyNewTokens() {
        QFETCH(QString, device);
        QFETCH(bool, chatml);
        const auto m = loadModel(chatml ? qbtest::chatMlStoriesCopy() : qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, device, 512);
        ChatSession s(*m, *r->forward, greedy(16));
        QCOMPARE(s.usesTemplate(), chatml);
        int cachedBefore = 0;
        for (const char* user : {"Once upon a time", "The cat was happy.", "Then it rained."}) {
            const TurnStats t = s.send(user);
            QCOMPARE(t.reused + t.evaluated, t.promptTokens);
            QCOMPARE(t.reused, cachedBefore); // everything the cache held was reused: only new tokens ran
            QCOMPARE(t.generated, 16);
            QCOMPARE(QString::fromStdString(t.stopReason), QString("max-tokens"));
            cachedBefore = s.cachedTokens();
            QCOMPARE(cachedBefore, t.promptTokens + t.generated - 1); // the last sampled token has not run yet
        }
        QCOMPARE(s.messages().size(), size_t(6));
        if (chatml) QVERIFY(s.messages()[1].content.size() > 10);
        if (r->vulkan) QCOMPARE(r->vulkan->validationErrors(), 0);
    }
    void sameRepliesOnBothDevices() {
        const auto m = loadModel(qbtest::chatMlStoriesCopy());
        std::vector<std::string> replies[2];
        int k = 0;
        for (const char* device : {"cpu", "vulkan"}) {
            const auto r = open(*m, device, 256);
            ChatSession s(*m, *r->forward, greedy(24));
            for (const char* user : {"Hello", "Tell me a story."}) {
                s.send(user);
                replies[k].push_back(s.messages().back().content);
            }
            ++k;
        }
        QCOMPARE(replies[0], replies[1]);
    }
    void regenerateAndEditRollBack_data() { devicesOnly(); }
    void regenerateAndEditRollBack() {
        QFETCH(QString, device);
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, device, 256);
        ChatSession s(*m, *r->forward, greedy(12));
        s.send("Once upon a time");
        const TurnStats t2 = s.send("The dog ran.");
        const std::string reply = s.messages().back().content;
        const TurnStats again = s.regenerate();
        QCOMPARE(s.messages().back().content, reply); // greedy: the same reply
        QCOMPARE(again.promptTokens, t2.promptTokens);
        QVERIFY(again.evaluated <= 1 && again.reused >= t2.promptTokens - 1); // rolled back to the prompt, not re-run
        const TurnStats edited = s.edit(2, "The bird sang.");
        QCOMPARE(s.messages().size(), size_t(4));
        QCOMPARE(s.messages()[2].content, std::string("The bird sang."));
        QVERIFY(edited.reused > 5 && edited.evaluated < edited.promptTokens); // the first turn stays cached
        QVERIFY_THROWS_EXCEPTION(Error, s.edit(1, "not a user message"));
    }
    void stopStringsAreHeldBackAndCut_data() { devicesOnly(); }
    void stopStringsAreHeldBackAndCut() {
        QFETCH(QString, device);
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, device, 256);
        ChatOptions o = greedy(40);
        o.stopStrings = {"little girl"};
        ChatSession s(*m, *r->forward, o);
        std::string streamed;
        std::vector<std::string> pieces;
        const TurnStats t = s.send("Once upon a time", [&](const std::string& p) {
            streamed += p;
            pieces.push_back(p);
        });
        QCOMPARE(QString::fromStdString(t.stopReason), QString("stop-string"));
        QCOMPARE(streamed, s.messages().back().content);
        QCOMPARE(streamed, std::string(", there was a "));  // greedy text: ", there was a little girl named Lily."
        for (const auto& p : pieces) QVERIFY(p.find("little") == std::string::npos); // "little" was held back, never shown
        QCOMPARE(stopStringHoldback("abc lit", {"little girl"}), size_t(3));
        QCOMPARE(stopStringHoldback("abc", {"little girl"}), size_t(0));
    }
    void fullContextFollowsThePolicy_data() { devicesOnly(); }
    void fullContextFollowsThePolicy() {
        QFETCH(QString, device);
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, device, 48);
        ChatOptions o = greedy(8);
        ChatSession stop(*m, *r->forward, o);
        const std::string longText(300, 'a');
        const TurnStats t = stop.send(longText);
        QCOMPARE(QString::fromStdString(t.stopReason), QString("context-full"));
        QVERIFY(t.note.find("does not fit") != std::string::npos);
        QVERIFY(stop.messages().empty()); // refused, the session unchanged
        QCOMPARE(QString::fromStdString(stop.send("Once upon a time").stopReason), QString("max-tokens"));

        o.contextPolicy = ContextPolicy::DropOldest;
        o.systemPrompt = "Tell a story.";
        const auto r2 = open(*m, device, 48);
        ChatSession drop(*m, *r2->forward, o);
        int dropped = 0;
        for (int i = 0; i < 8; ++i) {
            const TurnStats d = drop.send("The cat sat on the mat.");
            dropped += d.droppedMessages;
            QVERIFY(d.stopReason == "max-tokens" || d.stopReason == "context-full");
        }
        QVERIFY(dropped > 0);
        QCOMPARE(drop.messages().front().role, std::string("system"));
    }
    // Settings change between turns: a new system prompt re-evaluates from where
    // the prompt differs, a new token limit and sampler apply to the next turn.
    void settingsChangeBetweenTurns() {
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, "cpu", 256);
        ChatSession s(*m, *r->forward, greedy(6));
        s.send("Once upon a time");
        QCOMPARE(s.messages().size(), size_t(2));
        s.setSampling(greedy(3).sampling, 3, ContextPolicy::DropOldest);
        QCOMPARE(s.send("The dog ran.").generated, 3);
        QCOMPARE(s.options().contextPolicy, ContextPolicy::DropOldest);
        s.setSystemPrompt("You tell stories.");
        QCOMPARE(s.messages().front().role, std::string("system"));
        QCOMPARE(s.messages().size(), size_t(5));
        const TurnStats t = s.regenerate();
        QCOMPARE(t.reused, 1); // only BOS: the prompt now differs from its first text token (the system text comes first)
        s.setSystemPrompt("");
        QCOMPARE(s.messages().front().role, std::string("user"));
        QVERIFY_THROWS_EXCEPTION(Error, s.setSampling(SamplerParams{}, 0, ContextPolicy::Stop));
    }
    // The other architectures chat like llama, with the same replies on both devices.
    void otherArchitecturesChat_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("llama3-rope") << "stories260K-llama3-rope.gguf";
        QTest::newRow("phi3") << "stories260K-as-phi3.gguf";
        QTest::newRow("gemma2") << "stories260K-as-gemma2.gguf";
    }
    void otherArchitecturesChat() {
        QFETCH(QString, file);
        const auto m = loadModel(qbtest::sharedPath("models/arch/" + file.toStdString()));
        std::vector<std::string> replies;
        for (const char* device : {"cpu", "vulkan"}) {
            const auto r = open(*m, device, 256);
            ChatSession s(*m, *r->forward, greedy(16));
            s.send("Once upon a time");
            const TurnStats t = s.send("The dog ran.");
            QVERIFY(t.reused > 0); // the first turn stayed in the cache
            replies.push_back(s.messages()[1].content + "|" + s.messages()[3].content);
            if (r->vulkan) QCOMPARE(r->vulkan->validationErrors(), 0);
        }
        QCOMPARE(replies[1], replies[0]);
        QVERIFY(replies[0].size() > 10);
    }
    void firstDifferentPieceFindsWhereAnswersPart() {
        using V = std::vector<std::string>;
        QCOMPARE(firstDifferentPiece(V{"a", "b", "c"}, V{"a", "x", "c"}), std::optional<size_t>(1));
        QCOMPARE(firstDifferentPiece(V{"a", "b"}, V{"a", "b"}), std::optional<size_t>());
        QCOMPARE(firstDifferentPiece(V{"a", "b"}, V{"a", "b", "c"}), std::optional<size_t>(2));
        QCOMPARE(firstDifferentPiece(V{"x"}, V{"a", "b"}), std::optional<size_t>(0));
    }
    void badInputKeepsTheSession() {
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, "cpu", 128);
        ChatSession s(*m, *r->forward, greedy(4));
        s.send("Once upon a time");
        const auto before = s.messages();
        QVERIFY_THROWS_EXCEPTION(Error, s.send(std::string("bad \xff\xfe utf-8")));
        QCOMPARE(s.messages().size(), before.size());
        QVERIFY_THROWS_EXCEPTION(Error, ChatSession(*m, *r->forward, [] { ChatOptions o; o.templateMode = "custom"; o.templateSource = "{% while %}"; return o; }()));
        QCOMPARE(QString::fromStdString(s.send("The end.").stopReason), QString("max-tokens"));
    }
    // A byte-level BPE vocabulary splits characters across tokens; the session's
    // stream still shows whole UTF-8 characters only, and they join to the reply.
    void streamingNeverSplitsACharacter() {
        const std::string path = qbtest::scratchDir("chat_utf8") + "/qwen2-vocab-tiny.gguf";
        LoadOptions vo;
        vo.vocabOnly = true;
        const auto vocab = loadModel(qbtest::sharedPath("vocab/ggml-vocab-qwen2.gguf"), vo)->vocab; // CJK-rich: characters split across tokens
        SynthSpec spec;
        spec.dim = 64;
        spec.layers = 1;
        spec.heads = 4;
        spec.kvHeads = 4;
        spec.ffn = 128;
        spec.context = 512;
        spec.type = GgmlType::F16;
        spec.seed = 3;
        writeSyntheticModel(spec, vocab, path);
        const auto m = loadModel(path);
        const auto r = open(*m, "cpu", 512);
        ChatOptions o;
        o.templateMode = "none";
        o.sampling.temperature = 1.0f;
        o.sampling.seed = 11;
        o.maxTokens = 200;
        ChatSession s(*m, *r->forward, o);
        std::string joined;
        int pieces = 0;
        const TurnStats t = s.send("Grüße", [&](const std::string& p) {
            joined += p;
            ++pieces;
            QCOMPARE(completeUtf8Prefix(p), p.size()); // never ends inside a character
        });
        QCOMPARE(joined, s.messages().back().content);
        QVERIFY(pieces > 50);
        // every token of this vocabulary has text, so a token that showed nothing was held back mid-character
        QVERIFY2(pieces < t.generated, qPrintable(QString("%1 pieces for %2 tokens: no character was ever split").arg(pieces).arg(t.generated)));
    }
    void thousandTurnSoakKeepsMemoryFlat() {
        const auto m = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const auto r = open(*m, "cpu", 64);
        ChatOptions o = greedy(2);
        o.contextPolicy = ContextPolicy::DropOldest;
        o.systemPrompt = "Stories.";
        ChatSession s(*m, *r->forward, o);
        uint64_t rssAt100 = 0;
        for (int i = 0; i < 1000; ++i) {
            const TurnStats t = s.send("Lily played.");
            QVERIFY(t.stopReason == "max-tokens" || t.stopReason == "context-full");
            if (i == 99) rssAt100 = hostMemory().residentBytes;
        }
        QVERIFY(s.messages().size() < 40); // old turns were dropped
        const uint64_t rssAt1000 = hostMemory().residentBytes;
        QVERIFY2(rssAt1000 < rssAt100 + (8u << 20), qPrintable(QString("%1 -> %2").arg(rssAt100).arg(rssAt1000)));
    }
};

QTEST_APPLESS_MAIN(TestChat)
#include "test_chat.moc"
