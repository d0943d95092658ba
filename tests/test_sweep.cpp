// The sweep (quantize, measure, results.json, reuse, cancel and resume,
// failures recorded) and the recommendation drawn from its numbers.
#include "common/error.h"
#include "eval/pareto.h"
#include "eval/perplexity.h"
#include "eval/recommend.h"
#include "eval/sweep.h"
#include "support/test_paths.h"

#include <QtTest>
#include <filesystem>
#include <fstream>

using namespace qb;
namespace fs = std::filesystem;

namespace {

// 40 tasks of the shared set, so a sweep stays short.
std::string smallTasks(const std::string& dir) {
    std::ifstream in(qbtest::sharedPath("eval/tinystories-mc.jsonl"));
    std::string out, line;
    for (int i = 0; i < 40 && std::getline(in, line); ++i) out += line + "\n";
    const std::string path = dir + "/tasks.jsonl";
    qbtest::writeFile(path, out);
    return path;
}

SweepOptions smallSweep(const std::string& dir, const std::string& types, const std::string& device = "cpu") {
    SweepOptions o;
    o.modelPath = qbtest::sharedPath("models/stories260K.gguf");
    o.variants = parseSweepTypes(types);
    o.textPath = qbtest::sharedPath("text/tinystories_val.txt");
    o.calibrationPath = qbtest::sharedPath("text/tinystories_sample.txt");
    o.outDir = dir + "/out";
    o.ctx = 128;
    o.chunks = 8;
    o.run.device = device;
    o.run.threads = 2;
    o.benchPp = 16;
    o.benchTg = 4;
    o.benchRepetitions = 1;
    o.quantizeThreads = 2;
    return o;
}

const nlohmann::json& variant(const nlohmann::json& r, const std::string& name) {
    for (const auto& v : r["variants"])
        if (v["name"] == name) return v;
    throw std::runtime_error("no variant " + name);
}

nlohmann::json fakeVariant(const std::string& name, double bpw, uint64_t bytes, double ppl, double kld, double p99) {
    return {{"name", name},
            {"type", name},
            {"method", "rtn"},
            {"status", "ok"},
            {"bytes", bytes},
            {"bpw", bpw},
            {"ppl", ppl},
            {"ppl_stderr", 0.01},
            {"kld_mean", kld},
            {"kld_p99", p99},
            {"top1_agreement", 90.0},
            {"pp_tokens_per_second", 100.0},
            {"tg_tokens_per_second", 10.0},
            {"device", "test"},
            {"memory", {{"weights_bytes", bytes}, {"kv_cache_bytes", 1000}, {"scratch_bytes", 0}, {"kv_cache_bytes_per_token", 1000.0}}},
            {"tensors", nlohmann::json::array()}};
}

nlohmann::json fakeResults() {
    nlohmann::json r{{"schema_version", 1},
                     {"model", {{"path", "m.gguf"}, {"n_params", 1000000}, {"bytes", 4000000}, {"context_length", 4096}}},
                     {"reference", "SOURCE"},
                     {"reference_metrics", {{"ppl", 10.0}}}};
    r["variants"] = {fakeVariant("Q8_0", 8.5, 1062500, 10.01, 0.001, 0.01), fakeVariant("Q6_K", 6.6, 825000, 10.05, 0.004, 0.03),
                     fakeVariant("Q4_K_M", 4.9, 612500, 10.15, 0.02, 0.2), fakeVariant("Q2_K", 2.6, 325000, 11.5, 0.3, 2.0)};
    validateResults(r, "fake.json");
    return r;
}

} // namespace

class TestSweep : public QObject {
    Q_OBJECT
private slots:
    void sweepMeasuresEveryVariant() {
        const std::string dir = qbtest::scratchDir("sweep_cpu");
        SweepOptions o = smallSweep(dir, "F16,Q8_0,Q4_K_M,Q4_0,FP8,Q4_0:gptq");
        o.tasksPath = smallTasks(dir);
        std::vector<std::string> stages;
        Job job([&](const ProgressEvent& e) { stages.push_back(e.stage); }, nullptr);
        const nlohmann::json r = runSweep(o, job);
        const nlohmann::json onDisk = loadResults(o.outDir + "/results.json"); // validates against the schema
        QCOMPARE(onDisk["variants"].size(), size_t(6));
        QCOMPARE(onDisk["schema_version"].get<int>(), 1);
        QCOMPARE(onDisk["reference"].get<std::string>(), std::string("SOURCE"));
        // the reference's perplexity is the model's own, as `perplexity` computes it
        const auto model = loadModel(o.modelPath);
        const auto tokens = tokenizeEvalText(*model, qbtest::readFile(o.textPath));
        ThreadPool pool(2);
        CpuForwardOptions co;
        co.contextLength = 128;
        CpuForward fwd(*model, pool, co);
        QCOMPARE(onDisk["reference_metrics"]["ppl"].get<double>(), computePerplexity(fwd, *model, tokens, 128, 8).ppl);
        for (const auto& v : onDisk["variants"]) {
            QCOMPARE(v["status"].get<std::string>(), std::string("ok"));
            QCOMPARE(v["ppl_base"].get<double>(), onDisk["reference_metrics"]["ppl"].get<double>());
            QVERIFY(fs::exists(v["file"].get<std::string>()));
            QCOMPARE(v["bytes"].get<uint64_t>(), uint64_t(fs::file_size(v["file"].get<std::string>())));
            QVERIFY(v["mc"]["tasks"].get<int>() == 40);
            QVERIFY(v["pp_tokens_per_second"].get<double>() > 0 && v["tg_tokens_per_second"].get<double>() > 0);
            QVERIFY(v["memory"]["kv_cache_bytes"].get<uint64_t>() > 0);
            QVERIFY(!v["tensors"].empty());
            QCOMPARE(v["device"].get<std::string>().substr(0, 3), std::string("cpu"));
        }
        QCOMPARE(variant(onDisk, "Q4_K_M")["type"].get<std::string>(), std::string("Q4_K_M")); // as written in --types
        QCOMPARE(variant(onDisk, "Q4_0:gptq")["method"].get<std::string>(), std::string("gptq"));
        // quality falls with the bits: KLD F16 < Q8_0 < Q4_K_M < Q4_0
        const double f16 = variant(onDisk, "F16")["kld_mean"], q8 = variant(onDisk, "Q8_0")["kld_mean"],
                     q4km = variant(onDisk, "Q4_K_M")["kld_mean"], q40 = variant(onDisk, "Q4_0")["kld_mean"];
        QVERIFY2(f16 < q8 && q8 < q4km && q4km < q40, qPrintable(QString("%1 %2 %3 %4").arg(f16).arg(q8).arg(q4km).arg(q40)));
        QVERIFY(variant(onDisk, "Q4_0:gptq")["kld_mean"].get<double>() < q40); // calibrated beats round-to-nearest
        // K-quants do not fit stories260K's 64-value rows: the fallback is said
        QVERIFY(!variant(onDisk, "Q4_K_M")["fallbacks"].empty());
        QVERIFY(variant(onDisk, "Q4_K_M")["notes"][0].get<std::string>().find("Q4_K -> ") != std::string::npos);
        QVERIFY(std::find(stages.begin(), stages.end(), "[3/6] Q4_K_M: kld") != stages.end());

        // a second run reuses every variant: no quantization, the same numbers
        const auto mtime = fs::last_write_time(variant(onDisk, "Q4_0")["file"].get<std::string>());
        const nlohmann::json again = runSweep(o);
        for (const auto& v : again["variants"]) QVERIFY(v.value("reused", false));
        QCOMPARE(variant(again, "Q4_0")["kld_mean"].get<double>(), q40);
        QVERIFY(fs::last_write_time(variant(onDisk, "Q4_0")["file"].get<std::string>()) == mtime);

        // recommendations from these measured numbers
        RecommendOptions chat;
        chat.maxPplIncrease = 0.05;
        const Recommendation rc = recommend(onDisk, chat);
        QVERIFY(rc.choice.has_value());
        QVERIFY(rc.explanation.find(*rc.choice) != std::string::npos);
    }

    void cancelKeepsFinishedVariantsAndResumes() {
        const std::string dir = qbtest::scratchDir("sweep_cancel");
        const SweepOptions o = smallSweep(dir, "Q8_0,Q4_0,Q4_1");
        CancelToken cancel;
        Job job([&](const ProgressEvent& e) {
            if (e.stage.rfind("[2/3]", 0) == 0 && e.stage.find("kld") != std::string::npos && e.done >= 2) cancel.cancel();
        },
                &cancel);
        try {
            runSweep(o, job);
            QFAIL("not cancelled");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Cancelled));
        }
        const nlohmann::json partial = loadResults(o.outDir + "/results.json");
        QCOMPARE(partial["variants"].size(), size_t(1));
        QCOMPARE(partial["variants"][0]["name"].get<std::string>(), std::string("Q8_0"));
        for (const auto& e : fs::directory_iterator(o.outDir)) QVERIFY2(e.path().extension() != ".part", e.path().c_str());
        const nlohmann::json resumed = runSweep(o);
        QCOMPARE(resumed["variants"].size(), size_t(3));
        QVERIFY(variant(resumed, "Q8_0").value("reused", false));
        QVERIFY(!variant(resumed, "Q4_1").value("reused", false));
    }

    void failedVariantIsRecordedAndTheOthersGoOn() {
        const std::string dir = qbtest::scratchDir("sweep_fail");
        SweepOptions o = smallSweep(dir, "Q4_0:awq,Q8_0");
        o.calibrationPath = dir + "/missing.txt";
        const nlohmann::json r = runSweep(o);
        QCOMPARE(variant(r, "Q4_0:awq")["status"].get<std::string>(), std::string("failed"));
        QVERIFY(variant(r, "Q4_0:awq")["error"].get<std::string>().find("missing.txt") != std::string::npos);
        QCOMPARE(variant(r, "Q8_0")["status"].get<std::string>(), std::string("ok"));
        validateResults(r, "r.json");
    }

    // AUTO@BITS: a mix chosen from measured sensitivity; two of them measure once
    void mixVariantsShareOneMeasurement() {
        const std::string dir = qbtest::scratchDir("sweep_mix");
        const nlohmann::json r = runSweep(smallSweep(dir, "AUTO@7.5,auto@8"));
        for (auto [name, bits] : {std::pair{"AUTO@7.5", 7.5}, std::pair{"auto@8", 8.0}}) {
            const nlohmann::json& v = variant(r, name);
            QVERIFY2(v["status"] == "ok", v.dump().c_str());
            QVERIFY(v["bpw"].get<double>() <= bits);
            QVERIFY(v["mix"]["measured_kld"].get<double>() > 0);
            QVERIFY(QString::fromStdString(v["file"].get<std::string>()).endsWith("bpw.gguf"));
        }
        QCOMPARE(variant(r, "AUTO@7.5")["mix"]["sensitivity_seconds"], variant(r, "auto@8")["mix"]["sensitivity_seconds"]);
        QVERIFY(variant(r, "AUTO@7.5")["kld_mean"].get<double>() > variant(r, "auto@8")["kld_mean"].get<double>());
        validateResults(r, "r.json");
    }

    void sweepOnVulkan() {
        qputenv("QUANTBENCH_VALIDATION", "1");
        const std::string dir = qbtest::scratchDir("sweep_vulkan");
        SweepOptions o = smallSweep(dir, "F16,Q4_0", "vulkan");
        o.reference = "F16";
        const nlohmann::json r = runSweep(o);
        QVERIFY(r["evaluation"]["device"].get<std::string>().find("Vulkan") != std::string::npos);
        QCOMPARE(variant(r, "F16")["kld_mean"].get<double>(), 0.0); // the reference itself
        QVERIFY(variant(r, "Q4_0")["kld_mean"].get<double>() > 0.01);
        QVERIFY(fs::exists(r["reference_path"].get<std::string>()));
        QCOMPARE(variant(r, "Q4_0")["memory"]["where"].get<std::string>(), std::string("device"));
    }

    // What the GUI's worker sees, in order: the reference's numbers, then each
    // variant's start and its saved entry.
    void eventsComeInOrder() {
        const std::string dir = qbtest::scratchDir("sweep_events");
        SweepOptions o = smallSweep(dir, "Q8_0,Q4_0");
        o.chunks = 2;
        std::vector<std::string> seen;
        SweepEvents ev;
        ev.referenceMeasured = [&](const nlohmann::json& r) {
            QVERIFY(r.contains("reference_metrics") && r["variants"].empty());
            seen.push_back("reference");
        };
        ev.variantStarted = [&](int i) { seen.push_back("start " + std::to_string(i)); };
        ev.variantFinished = [&](const nlohmann::json& e) { seen.push_back("done " + e["name"].get<std::string>()); };
        runSweep(o, noJob(), ev);
        const std::vector<std::string> want{"reference", "start 0", "done Q8_0", "start 1", "done Q4_0"};
        QCOMPARE(seen, want);
    }
    // The other architectures sweep like llama: quantized with their recipes
    // (Phi-3's fused attn_qkv has its own rule, Gemma 2's tied embeddings the
    // output's), measured, recorded.
    void otherArchitecturesSweep_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("llama3-rope") << "stories260K-llama3-rope.gguf";
        QTest::newRow("phi3") << "stories260K-as-phi3.gguf";
        QTest::newRow("gemma2") << "stories260K-as-gemma2.gguf";
    }
    void otherArchitecturesSweep() {
        QFETCH(QString, file);
        const std::string dir = qbtest::scratchDir("sweep_arch_" + file.toStdString());
        SweepOptions o = smallSweep(dir, "Q8_0,Q4_K_M");
        o.modelPath = qbtest::sharedPath("models/arch/" + file.toStdString());
        o.chunks = 2;
        const nlohmann::json r = runSweep(o);
        for (const auto& v : r["variants"]) {
            QVERIFY2(v["status"] == "ok", v.dump().c_str());
            QVERIFY(v["kld_mean"].get<double>() >= 0 && v["kld_mean"].get<double>() < 1.0);
        }
        QVERIFY(variant(r, "Q8_0")["kld_mean"].get<double>() < variant(r, "Q4_K_M")["kld_mean"].get<double>());
        if (file.contains("phi3")) // llama-quantize's attn_qkv rule: Q5_K in a Q4_K_M mix (64-wide rows then fall back to Q5_1)
            for (const auto& t : variant(r, "Q4_K_M")["tensors"])
                if (t["name"].get<std::string>().find("attn_qkv") != std::string::npos) {
                    QCOMPARE(t["fallback_from"].get<std::string>(), std::string("Q5_K"));
                    QCOMPARE(t["type"].get<std::string>(), std::string("Q5_1"));
                }
        if (file.contains("gemma2")) // tied: token_embd takes output.weight's rule (Q6_K; rows not a multiple of 256: Q8_0, as llama-quantize)
            for (const auto& t : variant(r, "Q4_K_M")["tensors"])
                if (t["name"] == "token_embd.weight") {
                    QCOMPARE(t["type"].get<std::string>(), std::string("Q8_0")); // untied, it would be Q4_K -> Q5_0
                    QVERIFY(!t.contains("fallback_from"));
                }
    }
    void paretoFrontierKeepsTheUnbeaten() {
        // size, loss: (1, 5) (2, 3) (3, 4: beaten by (2,3)) (4, 1) (4, 2: same size, worse) (0.5, 9)
        const std::vector<SizeLoss> p{{1, 5}, {2, 3}, {3, 4}, {4, 1}, {4, 2}, {0.5, 9}};
        const std::vector<size_t> want{5, 0, 1, 3};
        QCOMPARE(paretoFrontier(p), want);
        QVERIFY(paretoFrontier({}).empty());
        const std::vector<size_t> one{0};
        QCOMPARE(paretoFrontier({{1, 1}, {1, 1}}), one); // duplicates count once
    }
    void badTypesNameTheEntry_data() {
        QTest::addColumn<QString>("types");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown") << "F16,Q9_9" << "entry 2 'Q9_9': unknown type 'Q9_9'";
        QTest::newRow("method") << "Q4_0:magic" << "unknown method 'magic'";
        QTest::newRow("empty") << "F16,,Q8_0" << "entry 2 '': empty";
        QTest::newRow("twice") << "q8_0,Q8_0" << "the same variant as 'q8_0'";
        QTest::newRow("mix") << "AUTO@4.5x" << "'4.5X' after AUTO@, expected bits per weight";
    }
    void badTypesNameTheEntry() {
        QFETCH(QString, types);
        QFETCH(QString, expected);
        try {
            parseSweepTypes(types.toStdString());
            QFAIL("accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(expected), e.what());
        }
    }

    void recommendByUseCase() {
        const nlohmann::json r = fakeResults();
        RecommendOptions o; // chat: +2 %
        QCOMPARE(*recommend(r, o).choice, std::string("Q4_K_M"));
        o.useCase = "code"; // +1 %, KLD <= 0.01, below 8 bits only with a light tail
        QCOMPARE(*recommend(r, o).choice, std::string("Q6_K"));
        o.useCase = "reasoning"; // KLD <= 0.005; Q6_K's p99 0.03 is within 10x: allowed
        QCOMPARE(*recommend(r, o).choice, std::string("Q6_K"));
        o.maxKld = 0.002; // now only 8-bit
        QCOMPARE(*recommend(r, o).choice, std::string("Q8_0"));
        o = RecommendOptions{};
        o.useCase = "long-context";
        o.ctx = 1000; // 1,000,000 bytes of KV cache on top of the weights
        o.maxBytes = 1700000;
        const Recommendation lc = recommend(r, o);
        QCOMPARE(*lc.choice, std::string("Q4_K_M"));
        QVERIFY(lc.explanation.find("context 1000") != std::string::npos);
        o.maxBytes = 1500000;
        QVERIFY(!recommend(r, o).choice); // Q4_K_M needs 1.61 MB with its cache; Q2_K is over the quality budget
        o = RecommendOptions{};
        o.useCase = "edge";
        o.maxBytes = 700000;
        QCOMPARE(*recommend(r, o).choice, std::string("Q4_K_M")); // Q2_K is +15 %, over the loose +10 %
        o.maxPplIncrease = 0.2;
        QCOMPARE(*recommend(r, o).choice, std::string("Q2_K"));
        o.maxBytes.reset();
        QVERIFY_THROWS_EXCEPTION(Error, recommend(r, o)); // edge needs a byte budget
        o.useCase = "poetry";
        QVERIFY_THROWS_EXCEPTION(Error, recommend(r, o));
    }
    void budgetsParse() {
        QCOMPARE(parseFraction("2%", "x"), 0.02);
        QCOMPARE(parseFraction("0.02", "x"), 0.02);
        QCOMPARE(parseBytes("4GB", "x"), uint64_t(4000000000));
        QCOMPARE(parseBytes("512MiB", "x"), uint64_t(512) << 20);
        QVERIFY_THROWS_EXCEPTION(Error, parseFraction("two", "x"));
        QVERIFY_THROWS_EXCEPTION(Error, parseBytes("4 parsecs", "x"));
    }
    void malformedResultsNameTheKey() {
        nlohmann::json r = fakeResults();
        r["variants"][1].erase("kld_p99");
        try {
            validateResults(r, "results.json");
            QFAIL("accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("results.json: key '/variants/1/kld_p99': expected to be present"), e.what());
        }
        r = fakeResults();
        r["schema_version"] = 7;
        QVERIFY_THROWS_EXCEPTION(Error, validateResults(r, "results.json"));
    }
};

QTEST_APPLESS_MAIN(TestSweep)
#include "test_sweep.moc"
