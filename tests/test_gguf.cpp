// GGUF writer -> reader round trip, alignment, atomic write; reading real files.
#include "common/error.h"
#include "formats/gguf_reader.h"
#include "formats/gguf_writer.h"
#include "model/model.h"
#include "model/model_metadata.h"
#include "support/test_paths.h"

#include <QtTest>
#include <filesystem>

using namespace qb;

class TestGguf : public QObject {
    Q_OBJECT
private:
    static GgufWriter sampleWriter(uint32_t alignment) {
        GgufWriter w(alignment);
        w.set("general.architecture", GgufValue::str("llama"));
        w.set("test.u32", GgufValue::u32(0xDEADBEEF));
        w.set("test.i32", GgufValue::i32(-7));
        w.set("test.u64", GgufValue::u64(1ull << 40));
        w.set("test.f32", GgufValue::f32(0.25f));
        w.set("test.bool", GgufValue::boolean(true));
        w.set("test.strings", GgufValue::stringArray({"a", "", "ünï"}));
        w.set("test.floats", GgufValue::floatArray(GgufType::Float32, {1.5, -2.0}));
        w.set("test.ints", GgufValue::intArray(GgufType::Int32, {3, -4, 5}));
        w.addTensor({"a", GgmlType::F32, {3, 2}, [] {
                         std::vector<uint8_t> b(24);
                         for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i);
                         return b;
                     }});
        w.addTensor({"b", GgmlType::Q8_0, {64}, [] { return std::vector<uint8_t>(68, 0x11); }});
        return w;
    }

private slots:
    void roundTrip_data() {
        QTest::addColumn<uint32_t>("alignment");
        QTest::newRow("default 32") << 32u;
        QTest::newRow("64") << 64u;
    }
    void roundTrip() {
        QFETCH(uint32_t, alignment);
        const std::string dir = qbtest::scratchDir("gguf_roundtrip");
        const std::string path = dir + "/t.gguf";
        sampleWriter(alignment).write(path);
        QVERIFY(!std::filesystem::exists(path + ".part"));
        auto g = GgufFile::open(path);
        QCOMPARE(g->version(), 3u);
        QCOMPARE(g->alignment(), alignment);
        QCOMPARE(g->getString("general.architecture"), std::string("llama"));
        QCOMPARE(g->getInt("test.u32"), int64_t(0xDEADBEEF));
        QCOMPARE(g->getInt("test.i32"), int64_t(-7));
        QCOMPARE(g->getInt("test.u64"), int64_t(1ll << 40));
        QCOMPARE(g->getFloat("test.f32", 0), 0.25);
        QCOMPARE(g->getBool("test.bool", false), true);
        QCOMPARE(g->getStringArray("test.strings"), (std::vector<std::string>{"a", "", "ünï"}));
        QCOMPARE(g->getFloatArray("test.floats"), (std::vector<float>{1.5f, -2.0f}));
        QCOMPARE(g->getIntArray("test.ints"), (std::vector<int64_t>{3, -4, 5}));
        QCOMPARE(int(g->tensors().size()), 2);
        const auto* a = g->findTensor("a");
        QVERIFY(a);
        QCOMPARE(a->shape, (std::vector<int64_t>{3, 2}));
        QCOMPARE(a->bytes, uint64_t(24));
        QCOMPARE(int(a->data[23]), 23);
        const auto* b = g->findTensor("b");
        QCOMPARE(b->type, GgmlType::Q8_0);
        QCOMPARE(b->bytes, uint64_t(68));
        QCOMPARE((b->data - g->mapping()->data()) % alignment, 0L);
        QCOMPARE(int(b->data[67]), 0x11);
    }
    void wrongTypeNamesKeyAndTypes() {
        const std::string dir = qbtest::scratchDir("gguf_types");
        sampleWriter(32).write(dir + "/t.gguf");
        auto g = GgufFile::open(dir + "/t.gguf");
        try {
            g->getFloatArray("test.ints");
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("t.gguf") && msg.contains("test.ints") && msg.contains("FLOAT32") && msg.contains("INT32"), e.what());
        }
    }
    void cancelledWriteLeavesNoFile() {
        const std::string dir = qbtest::scratchDir("gguf_cancel");
        const std::string path = dir + "/t.gguf";
        QVERIFY_THROWS_EXCEPTION(Error, sampleWriter(32).write(path, [] { return true; }));
        QVERIFY(!std::filesystem::exists(path));
        QVERIFY(!std::filesystem::exists(path + ".part"));
    }
    void failingProducerLeavesNoFile() {
        const std::string dir = qbtest::scratchDir("gguf_fail");
        GgufWriter w;
        w.addTensor({"x", GgmlType::F32, {4}, []() -> std::vector<uint8_t> { throw Error("disk full (simulated)"); }});
        QVERIFY_THROWS_EXCEPTION(Error, w.write(dir + "/t.gguf"));
        QVERIFY(std::filesystem::is_empty(dir));
    }
    // Never silently wrong: a key or tensor of a known architecture that the
    // engine does not use is refused with its name, not ignored.
    void unknownKeysAndTensorsAreRefusedByName_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<QString>("named");
        QTest::newRow("soft-capping key") << "llama.attn_logit_softcapping" << "" << "llama.attn_logit_softcapping";
        QTest::newRow("unknown scaling type") << "llama.rope.scaling.type=dynamic" << "" << "llama.rope.scaling.type";
        QTest::newRow("yarn without its factor") << "llama.rope.scaling.type=yarn" << "" << "llama.rope.scaling.factor";
        QTest::newRow("yarn log multiplier (DeepSeek)") << "llama.rope.scaling.yarn_log_multiplier" << "" << "llama.rope.scaling.yarn_log_multiplier";
        QTest::newRow("experts") << "llama.expert_count=8" << "" << "llama.expert_count";
        QTest::newRow("sliding window") << "llama.attention.sliding_window=32" << "" << "llama.attention.sliding_window";
        QTest::newRow("extra layer tensor") << "" << "blk.0.post_attention_norm.weight" << "blk.0.post_attention_norm.weight";
        QTest::newRow("extra model tensor") << "" << "rope_factors_long.weight" << "rope_factors_long.weight";
    }
    void unknownKeysAndTensorsAreRefusedByName() {
        QFETCH(QString, key);
        QFETCH(QString, tensor);
        QFETCH(QString, named);
        const auto m = qb::loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string path = qbtest::scratchDir("gguf_unknown") + "/m.gguf";
        // stories260K written again, with or without the addition
        const auto write = [&](bool addition) {
            qb::GgufWriter w;
            for (auto& [k, v] : qb::ggufMetadataFor(*m)) w.set(k, v);
            if (addition && !key.isEmpty()) {
                const QStringList kv = key.split('=');
                if (kv.size() == 1) w.set(kv[0].toStdString(), qb::GgufValue::f32(50.0f));
                else if (kv[1] == "yarn" || kv[1] == "dynamic") w.set(kv[0].toStdString(), qb::GgufValue::str(kv[1].toStdString()));
                else w.set(kv[0].toStdString(), qb::GgufValue::u32(kv[1].toUInt()));
            }
            for (const qb::Tensor& t : m->tensors)
                w.addTensor({t.name, t.type, t.shape, [&t] { return std::vector<uint8_t>(t.data, t.data + t.bytes); }});
            if (addition && !tensor.isEmpty())
                w.addTensor({tensor.toStdString(), qb::GgmlType::F32, {64}, [] { return std::vector<uint8_t>(256, 0); }});
            w.write(path);
        };
        write(true);
        try {
            qb::loadModel(path);
            QFAIL("loaded a file with something the engine does not use");
        } catch (const qb::Error& e) {
            QVERIFY2(QString(e.what()).contains(named) && QString(e.what()).contains("m.gguf"), e.what());
        }
        write(false); // the same file without the addition loads
        QCOMPARE(qb::loadModel(path)->tensors.size(), m->tensors.size());
    }
    void readsStories260K() {
        auto g = GgufFile::open(qbtest::sharedPath("models/stories260K.gguf"));
        QCOMPARE(int(g->tensors().size()), 3 + 5 * 9);
        QCOMPARE(g->getInt("llama.embedding_length"), int64_t(64));
        QCOMPARE(int(g->getStringArray("tokenizer.ggml.tokens").size()), 512);
    }
    void readsEveryGoldenType() {
        for (const char* t : {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}) {
            auto g = GgufFile::open(qbtest::sharedPath(std::string("golden/synth-kq-1-") + t + ".gguf"));
            bool found = false;
            for (const auto& ti : g->tensors()) found |= typeName(ti.type) == t;
            QVERIFY2(found, t);
        }
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
