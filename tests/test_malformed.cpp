// The malformed-file catalogue: each file breaks one thing that has hit
// llama.cpp, LM Studio or Ollama. Every one must give a qb::Error that names
// the file and the field, must not crash, and must leave the file untouched.
// The files are generated here into the build tree's tests/data/malformed/.
#include "chat/chat_template.h"
#include "common/error.h"
#include "common/read_file.h"
#include "common/thread_pool.h"
#include "model/forward_cpu.h"
#include "model/model.h"
#include "support/raw_gguf.h"
#include "support/test_paths.h"

#include <QCryptographicHash>
#include <QtTest>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

using namespace qbtest;

// The largest single allocation made while a malformed file is loaded: a header
// that claims huge tensors, layers or vocabularies must be refused before
// anything that large is allocated. (Under ASan its own allocator is in charge
// and sanitize.sh caps one allocation with max_allocation_size_mb instead.)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define QB_TRACK_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define QB_TRACK_ALLOCATIONS 0
#endif
#endif
#ifndef QB_TRACK_ALLOCATIONS
#define QB_TRACK_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};
} // namespace

#if QB_TRACK_ALLOCATIONS
// libstdc++'s operator delete frees with std::free, so a malloc-backed new pairs with it.
void* operator new(size_t n) {
    if (g_tracking.load(std::memory_order_relaxed)) {
        size_t seen = g_largest.load(std::memory_order_relaxed);
        while (n > seen && !g_largest.compare_exchange_weak(seen, n)) {}
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
#endif

namespace {
// The largest single allocation made between construction and stop() (or the
// end of the scope, when a failed check returns early).
class AllocationWatch {
public:
    AllocationWatch() { g_largest = 0; g_tracking = true; }
    ~AllocationWatch() { g_tracking = false; }
    AllocationWatch(const AllocationWatch&) = delete;
    AllocationWatch& operator=(const AllocationWatch&) = delete;
    size_t stop() { g_tracking = false; return g_largest.load(); }
};
} // namespace

namespace {

std::string malformedDir() {
    static const std::string dir = [] {
        const std::string d = std::string(QB_BINARY_DIR) + "/tests/data/malformed";
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

QByteArray digest(const std::string& path) {
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

std::string llama2cHeader(std::array<int32_t, 7> h, size_t extraFloats) {
    std::string b(reinterpret_cast<const char*>(h.data()), 28);
    b.append(extraFloats * 4, '\0');
    return b;
}

// declaredLength 0 = the header's true length
std::string safetensors(const std::string& header, uint64_t declaredLength, size_t dataBytes) {
    if (declaredLength == 0) declaredLength = header.size();
    std::string b(reinterpret_cast<const char*>(&declaredLength), 8);
    b += header;
    b.append(dataBytes, '\0');
    return b;
}

const char* kConfig = R"({"model_type": "llama", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
  "num_key_value_heads": 1, "intermediate_size": 32, "vocab_size": 8})";

} // namespace

class TestMalformed : public QObject {
    Q_OBJECT
private slots:
    void validTinyModelLoads() {
        const std::string path = malformedDir() + "/valid-tiny.gguf";
        writeFile(path, buildTinyModel());
        auto m = qb::loadModel(path);
        QCOMPARE(m->config.nLayers, 1);
        QCOMPARE(m->vocab->size(), 8);
    }

    void rejected_data() {
        QTest::addColumn<QString>("file");     // name under tests/data/malformed/ (a directory for safetensors)
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("field");    // what the message must name
        auto gguf = [](const char* name, const TinyModelSpec& s, const char* field) {
            QTest::newRow(name) << QString(name) + ".gguf" << QByteArray::fromStdString(buildTinyModel(s)) << QString(field);
        };
        TinyModelSpec s;
        s = {}; s.truncateTo = 14;                     gguf("truncated-header", s, "header");
        s = {}; s.truncateFromEnd = 200;               gguf("truncated-tensor-data", s, "runs past the end");
        s = {}; s.version = 1;                         gguf("version-1", s, "version 1");
        s = {}; s.qDims = std::vector<uint64_t>{(1ull << 42) + 1, (1ull << 42) + 1}; gguf("dims-overflow", s, "overflows 64 bits");
        s = {}; s.qOffset = 1ull << 40;                gguf("offset-past-end", s, "blk.0.attn_q.weight");
        s = {}; s.qOffset = 0;                         gguf("overlapping-tensors", s, "overlaps");
        s = {}; s.nTensors = 1ull << 60;               gguf("n-tensors-absurd", s, "n_tensors");
        s = {}; s.nKv = 1ull << 60;                    gguf("n-kv-absurd", s, "n_kv");
        s = {}; s.archStringLength = 1ull << 50;       gguf("string-length-past-end", s, "string length");
        s = {}; s.scoresAsU8 = true;                   gguf("scores-as-uint8", s, "tokenizer.ggml.scores");
        s = {}; s.alignment = {{4u, 0}};               gguf("alignment-zero", s, "general.alignment");
        s = {}; s.alignment = {{4u, 48}};              gguf("alignment-not-power-of-two", s, "general.alignment");
        s = {}; s.alignment = {{8u, 32}};              gguf("alignment-wrong-type", s, "general.alignment");
        s = {}; s.byteToken = "<0x-1>";                gguf("byte-token-negative", s, "<0x-1>");
        s = {}; s.byteToken = "<0xZZ>";                gguf("byte-token-not-hex", s, "<0xZZ>");
        s = {}; s.vocabSizeKv = 1000;                  gguf("vocab-size-mismatch", s, "vocab_size");
        s = {}; s.qType = 99;                          gguf("unknown-tensor-type", s, "type id 99");
        s = {}; s.architecture = "gptj";               gguf("unknown-architecture", s, "gptj");
        // huge claims, refused before anything that large is allocated
        s = {}; s.blockCount = 1u << 24;               gguf("block-count-beyond-tensors", s, "block_count");
        s = {}; s.blockCount = 0xFFFFFFFFu;            gguf("block-count-huge", s, "block_count");
        s = {}; s.contextLength = 0xFFFFFFFFu;         gguf("context-length-huge", s, "context_length");
        s = {}; s.tokensClaim = 1ull << 40;            gguf("token-count-huge", s, "tokenizer.ggml.tokens");

        auto l2c = [](const char* name, const std::string& bytes, const char* field) {
            QTest::newRow(name) << QString(name) + ".bin" << QByteArray::fromStdString(bytes) << QString(field);
        };
        l2c("llama2c-negative-dim", llama2cHeader({-64, 172, 5, 8, 4, 512, 512}, 16), "dim");
        l2c("llama2c-zero-layers", llama2cHeader({64, 172, 0, 8, 4, 512, 512}, 16), "n_layers");
        l2c("llama2c-truncated-weights", llama2cHeader({64, 172, 5, 8, 4, 512, 512}, 1000), "bytes of weights");
        l2c("llama2c-huge-sizes", llama2cHeader({1 << 24, 1 << 24, 1 << 24, 1 << 12, 1 << 12, 1 << 24, 1 << 24}, 16), "overflows 64 bits");

        auto st = [](const char* name, const std::string& bytes, const char* field) {
            QTest::newRow(name) << QString(name) << QByteArray::fromStdString(bytes) << QString(field);
        };
        const std::string okHeader = R"({"model.norm.weight":{"dtype":"F32","shape":[32],"data_offsets":[0,128]}})";
        st("st-header-length-past-end", safetensors(okHeader, 1ull << 40, 128), "header length");
        st("st-header-not-json", safetensors("{not json", 0, 0), "not valid JSON");
        st("st-offsets-out-of-range",
           safetensors(R"({"model.norm.weight":{"dtype":"F32","shape":[32],"data_offsets":[0,4096]}})", 0, 128), "data_offsets");
        st("st-offsets-disagree-with-shape",
           safetensors(R"({"model.norm.weight":{"dtype":"F32","shape":[64],"data_offsets":[0,128]}})", 0, 128), "data_offsets");
    }
    void rejected() {
        QFETCH(QString, file);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, field);
        std::string path = malformedDir() + "/" + file.toStdString();
        std::string target = path;
        if (file.startsWith("st-")) { // an HF directory whose one shard is broken
            std::filesystem::create_directories(path);
            writeFile(path + "/config.json", kConfig);
            target = path + "/model.safetensors";
        }
        writeFile(target, bytes.toStdString());
        const QByteArray before = digest(target);
        AllocationWatch watch;
        try {
            qb::loadModel(path);
            QFAIL("loaded without an error");
        } catch (const qb::Error& e) {
            const QString msg = QString::fromUtf8(e.what());
            const QString shownFile = QString::fromStdString(std::filesystem::path(target).filename().string());
            QVERIFY2(msg.contains(shownFile) || msg.contains(file), qPrintable("message does not name the file: " + msg));
            QVERIFY2(msg.contains(field), qPrintable("message does not name '" + field + "': " + msg));
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        }
        const size_t largest = watch.stop();
        // nothing larger than the file justifies (a floor for the loader's own bookkeeping)
        const size_t bound = std::max<size_t>(size_t(4) << 20, size_t(8) * size_t(bytes.size()));
        QVERIFY2(largest <= bound, qPrintable(QString("largest allocation %1 bytes, bound %2").arg(largest).arg(bound)));
        QCOMPARE(digest(target), before);
    }
    // HF directories: config.json and tokenizer.json claims, each refused by name
    // before it is allocated.
    void hfHugeClaimsAreRefused_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("tokenizer"); // empty: none
        QTest::addColumn<QString>("field");
        const QString tok = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}, "added_tokens": [%1]})";
        QTest::newRow("hf-layers-huge") << "hf-layers-huge" << QString(kConfig).replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 2147483647")
                                        << "" << "num_hidden_layers";
        QTest::newRow("hf-layers-beyond-tensors") << "hf-layers-beyond-tensors"
                                                  << QString(kConfig).replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 16777216") << ""
                                                  << "block_count";
        QTest::newRow("hf-context-huge") << "hf-context-huge" << QString(kConfig).replace("}", ", \"max_position_embeddings\": 1099511627776}") << ""
                                         << "max_position_embeddings";
        QTest::newRow("hf-added-token-id-huge") << "hf-added-token-id-huge" << QString(kConfig)
                                                << tok.arg(R"({"id": 2147483647, "content": "<x>", "special": true})") << "added_tokens";
        QTest::newRow("hf-vocab-id-wraps") << "hf-vocab-id-wraps" << QString(kConfig)
                                           << QString(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 4294967297}, "merges": []}})") << "model.vocab['b']";
        QTest::newRow("hf-config-wrong-type") << "hf-config-wrong-type" << QString(kConfig).replace("}", ", \"rms_norm_eps\": \"small\"}") << ""
                                              << "config.json";
    }
    void hfHugeClaimsAreRefused() {
        QFETCH(QString, name);
        QFETCH(QString, config);
        QFETCH(QString, tokenizer);
        QFETCH(QString, field);
        const std::string dir = malformedDir() + "/" + name.toStdString();
        std::filesystem::create_directories(dir);
        writeFile(dir + "/config.json", config.toStdString());
        writeFile(dir + "/model.safetensors", safetensors(R"({"model.norm.weight":{"dtype":"F32","shape":[32],"data_offsets":[0,128]}})", 0, 128));
        if (!tokenizer.isEmpty()) writeFile(dir + "/tokenizer.json", tokenizer.toStdString());
        AllocationWatch watch;
        try {
            qb::loadModel(dir);
            QFAIL("loaded without an error");
        } catch (const qb::Error& e) {
            QVERIFY2(QString(e.what()).contains(field), e.what());
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        }
        const size_t largest = watch.stop();
        QVERIFY2(largest <= size_t(4) << 20, qPrintable(QString("largest allocation %1 bytes").arg(largest)));
    }

    // A trained context of 2^31 - 1 is metadata: the KV cache is sized from what
    // is asked (default 4096), and asking for all of it is refused before allocating.
    void hugeContextClaimIsNotAllocated() {
        TinyModelSpec s;
        s.contextLength = 0x7FFFFFFF;
        const std::string path = malformedDir() + "/context-length-int-max.gguf";
        writeFile(path, buildTinyModel(s));
        auto m = qb::loadModel(path);
        QCOMPARE(m->config.contextLength, 0x7FFFFFFF);
        qb::ThreadPool pool(1);
        {
            AllocationWatch watch;
            {
                qb::CpuForward fwd(*m, pool);
                QCOMPARE(fwd.capacity(), qb::CpuForwardOptions::kDefaultContext);
            }
            const size_t largest = watch.stop();
            QVERIFY2(largest <= size_t(4) << 20, qPrintable(QString("largest allocation %1 bytes").arg(largest)));
        }
        qb::CpuForwardOptions all;
        all.contextLength = 0x7FFFFFFF; // 2^31 x 16 values x 2 x 4 bytes = 256 GiB of KV cache
        AllocationWatch watch;
        try {
            qb::CpuForward fwd(*m, pool, all);
            QFAIL("a 256 GiB KV cache was allocated");
        } catch (const qb::Error& e) {
            QVERIFY2(QString(e.what()).contains("KV cache") && QString(e.what()).contains("GiB"), e.what());
        }
        const size_t largest = watch.stop();
        QVERIFY2(largest <= size_t(4) << 20, qPrintable(QString("largest allocation %1 bytes").arg(largest)));
    }

    // Inputs that once crashed a reader or drew a sanitizer report (tests/data/regressions/).
    void regressionInputsAreRefused() {
        const std::string dir = std::string(QB_SOURCE_DIR) + "/tests/data/regressions";
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (e.path().extension() == ".md") continue;
            ++n;
            const QByteArray before = digest(e.path().string());
            if (e.path().extension() == ".jinja") { // a chat template: rendering it must be refused
                const std::string source = qb::readWholeFile(e.path().string());
                QVERIFY_THROWS_EXCEPTION(qb::Error, qb::renderChatTemplate(source, nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])"), {}));
                QCOMPARE(digest(e.path().string()), before);
                continue;
            }
            try {
                qb::loadModel(e.path().string());
                QFAIL(qPrintable("loaded " + QString::fromStdString(e.path().string())));
            } catch (const qb::Error& err) {
                QVERIFY2(QString(err.what()).contains(QString::fromStdString(e.path().filename().string())), err.what());
                QCOMPARE(err.kind(), qb::ErrorKind::BadInput);
            }
            QCOMPARE(digest(e.path().string()), before);
        }
        QVERIFY(n >= 1);
    }
};

QTEST_GUILESS_MAIN(TestMalformed)
#include "test_malformed.moc"
