// quantbench-cli end to end: the JSON shapes other tools read, the exit codes,
// errors on stderr naming the file, and input files left untouched.
#include "support/chat_model.h"
#include "support/test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QDir>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QtTest>

namespace {

struct Run {
    int code;
    QByteArray out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(QB_CLI, args);
    p.waitForFinished(120000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QString shared(const char* rel) { return QString::fromStdString(qbtest::sharedPath(rel)); }

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    // tests/data/regressions/: every input that once crashed a reader exits 2 with a message, no crash
    void regressionInputsExitTwo() {
        const QDir dir(QString(QB_SOURCE_DIR) + "/tests/data/regressions");
        const QStringList files = dir.entryList(QDir::Files).filter(QRegularExpression("^(?!README)"));
        QVERIFY(!files.isEmpty());
        QTemporaryDir tmp;
        const QString messages = tmp.filePath("messages.json");
        QFile m(messages);
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write(R"([{"role": "user", "content": "hi"}])");
        m.close();
        for (const QString& f : files) {
            // a template is rendered; everything else is loaded as a model
            const Run r = f.endsWith(".jinja") ? cli({"chat-template", "--template", dir.filePath(f), "--messages", messages}) : cli({"info", dir.filePath(f)});
            QVERIFY2(r.code == 2, qPrintable(f + ": exit " + QString::number(r.code) + " " + r.err));
            QVERIFY2(r.err.contains(f.toUtf8()), r.err.constData());
        }
    }
    void infoJson() {
        const Run r = cli({"info", shared("models/stories260K.gguf"), "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["architecture"].toString(), QString("llama"));
        QCOMPARE(j["n_layers"].toInt(), 5);
        QCOMPARE(j["file_bytes"].toInteger(), QFileInfo(shared("models/stories260K.gguf")).size());
        const QJsonArray tensors = j["tensors"].toArray();
        QCOMPARE(tensors.size(), 48);
        qint64 params = 0;
        for (const auto& t : tensors) {
            const QJsonObject o = t.toObject();
            QVERIFY(o.contains("name") && o.contains("type") && o.contains("shape") && o.contains("bytes"));
            qint64 n = 1;
            for (const auto& d : o["shape"].toArray()) n *= d.toInteger();
            params += n;
        }
        QCOMPARE(j["n_params"].toInteger(), params);
    }
    void infoText() {
        const Run r = cli({"info", shared("models/llama2c/stories260K.bin"), "--tokenizer", shared("models/llama2c/tok512.bin")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("llama2c"));
        QVERIFY(r.out.contains("bits per weight: 32.000"));
    }
    void tokenize() {
        const Run r = cli({"tokenize", shared("models/stories260K.gguf"), "Once upon a time"});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("1 403 407 261 378"));
        const Run nobos = cli({"tokenize", shared("models/stories260K.gguf"), "Once upon a time", "--no-bos", "--json"});
        QCOMPARE(QJsonDocument::fromJson(nobos.out).object()["ids"].toArray().first().toInt(), 403);
        const Run special = cli({"tokenize", shared("vocab/ggml-vocab-qwen2.gguf"), "<|im_start|>"});
        QCOMPARE(special.out.trimmed(), QByteArray("151644"));
        const Run literal = cli({"tokenize", shared("vocab/ggml-vocab-qwen2.gguf"), "<|im_start|>", "--no-parse-special"});
        QVERIFY(literal.out.trimmed().split(' ').size() > 1);
        const Run back = cli({"detokenize", shared("models/stories260K.gguf"), "403", "407", "261", "378"});
        QCOMPARE(back.out.trimmed(), QByteArray("Once upon a time"));
    }
    void generateJson() {
        const Run r = cli({"generate", shared("models/stories260K.gguf"), "-p", "", "-n", "40", "--temp", "0", "--json", "--device", "cpu"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(j["text"].toString().startsWith("Once upon a time, there was a little girl named Lily."), r.out.constData());
        QCOMPARE(j["ids"].toArray().size(), 40);
        QVERIFY(j["tokens_per_second"].toDouble() > 0);
        QVERIFY(j["device"].toString().startsWith("cpu"));
    }
    void defaultDeviceIsVulkanAndAgreesWithCpu() {
        const Run gpu = cli({"generate", shared("models/stories260K.gguf"), "-p", "Once", "-n", "60", "--temp", "0", "--json"});
        const Run cpu = cli({"generate", shared("models/stories260K.gguf"), "-p", "Once", "-n", "60", "--temp", "0", "--json", "--device", "cpu"});
        QCOMPARE(gpu.code, 0);
        QCOMPARE(cpu.code, 0);
        const QJsonObject g = QJsonDocument::fromJson(gpu.out).object(), c = QJsonDocument::fromJson(cpu.out).object();
        QVERIFY2(g["device"].toString().contains("Vulkan"), qPrintable(g["device"].toString()));
        QVERIFY(g["ids"].isArray() && g["ids"].toArray().size() == 60); // present, not two missing values compared
        QCOMPARE(g["ids"], c["ids"]);
        const Run devices = cli({"devices", "--json"});
        QCOMPARE(devices.code, 0);
        const QJsonArray list = QJsonDocument::fromJson(devices.out).array();
        QVERIFY(!list.isEmpty());
        QVERIFY(list.first().toObject().contains("memory_bytes") && list.first().toObject().contains("type"));
        const Run bench = cli({"bench", shared("models/stories260K.gguf"), "--pp", "16", "--tg", "4", "-r", "1", "--json"});
        QCOMPARE(bench.code, 0);
        const QJsonObject bj = QJsonDocument::fromJson(bench.out).object();
        QVERIFY(bj["pp_tokens_per_second"].toDouble() > 0 && bj["tg_tokens_per_second"].toDouble() > 0 && bj.contains("device"));
    }
    void generateSeeded() {
        const QStringList a{"generate", shared("models/stories260K.gguf"), "-p", "Once", "-n", "30", "--temp", "1", "--top-p", "0.9", "--seed", "7", "--json"};
        const Run r1 = cli(a), r2 = cli(a);
        QCOMPARE(r1.code, 0);
        QCOMPARE(r2.code, 0);
        const QJsonValue ids1 = QJsonDocument::fromJson(r1.out).object()["ids"];
        QVERIFY(ids1.isArray() && ids1.toArray().size() == 30);
        QCOMPARE(ids1, QJsonDocument::fromJson(r2.out).object()["ids"]);
    }
    void perplexityJson() {
        const Run r = cli({"perplexity", shared("models/stories260K.gguf"), "--text", shared("text/tinystories_val.txt"), "--ctx", "128", "--chunks", "4", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QVERIFY(j["ppl"].toDouble() > 1 && j["ppl"].toDouble() < 20);
        QCOMPARE(j["tokens_scored"].toInt(), 4 * (128 - 1 - 64));
        QVERIFY(j.contains("ppl_stderr") && j.contains("seconds") && j.contains("method") && j.contains("device"));
    }
    void kldJson() {
        const Run r = cli({"kld", shared("models/stories260K.gguf"), shared("golden/stories260K-q8_0.llamacpp.gguf"), "--text",
                           shared("text/tinystories_val.txt"), "--ctx", "128", "--chunks", "4", "--device", "cpu", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        for (const char* k : {"ppl_base", "ppl", "ln_ppl_ratio", "ln_ppl_ratio_stderr", "kld_mean", "kld_stderr", "kld_median", "kld_p90", "kld_p99",
                              "kld_max", "top1_agreement", "top1_agreement_stderr", "delta_p_mean", "delta_p_rms", "method", "device"})
            QVERIFY2(j.contains(k), k);
        QCOMPARE(j["tokens_scored"].toInt(), 4 * (128 - 1 - 64));
        // ppl_base is exactly what `perplexity` prints for the base model
        const Run p = cli({"perplexity", shared("models/stories260K.gguf"), "--text", shared("text/tinystories_val.txt"), "--ctx", "128", "--chunks", "4",
                           "--device", "cpu", "--json"});
        QCOMPARE(p.code, 0);
        QVERIFY(j["ppl_base"].toDouble() > 1.0); // present (a missing value reads as 0 on both sides)
        QCOMPARE(j["ppl_base"].toDouble(), QJsonDocument::fromJson(p.out).object()["ppl"].toDouble());
        QVERIFY(j["kld_mean"].toDouble() > 0 && j["kld_mean"].toDouble() < 0.01);
        const Run bad = cli({"kld", shared("models/stories260K.gguf"), shared("golden/stories260K-q8_0.llamacpp.gguf"), "--text", "/nonexistent/val.txt"});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("/nonexistent/val.txt"), bad.err.constData());
    }
    void mcJsonAndBadTasks() {
        const std::string dir = qbtest::scratchDir("cli_mc");
        const std::string tasks = dir + "/tasks.txt";
        const std::string all = qbtest::readFile(qbtest::sharedPath("eval/tinystories-mc.txt"));
        size_t at = 0;
        for (int line = 0; line < 6 * 20; ++line) at = all.find('\n', at) + 1;
        qbtest::writeFile(tasks, all.substr(0, at));
        const Run r = cli({"mc", shared("models/stories260K.gguf"), "--tasks", QString::fromStdString(tasks), "--device", "cpu", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["tasks"].toInt(), 20);
        for (const char* k : {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr", "acc_per_token", "acc_per_token_stderr", "method", "device"})
            QVERIFY2(j.contains(k), k);
        qbtest::writeFile(tasks, all.substr(0, all.rfind('\n', at - 2) + 1)); // the last task loses its last ending
        const Run bad = cli({"mc", shared("models/stories260K.gguf"), "--tasks", QString::fromStdString(tasks)});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("tasks.txt") && bad.err.contains("6 per task"), bad.err.constData());
    }
    void sweepAndRecommend() {
        const std::string dir = qbtest::scratchDir("cli_sweep");
        const QString out = QString::fromStdString(dir + "/out");
        const QStringList common{"--text", shared("text/tinystories_val.txt"), "--ctx", "64", "--chunks", "3", "--pp", "8", "--tg", "2", "-r", "1",
                                 "--device", "cpu", "--out", out};
        const Run bad = cli(QStringList{"sweep", shared("models/stories260K.gguf"), "--types", "Q8_0,Q7_X"} + common);
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("'Q7_X'"), bad.err.constData());
        const Run r = cli(QStringList{"sweep", shared("models/stories260K.gguf"), "--types", "Q8_0,Q4_0"} + common);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("Q4_0") && r.out.contains("results.json"), r.out.constData());
        const QString results = out + "/results.json";
        const Run rec = cli({"recommend", results, "--use-case", "chat", "--max-ppl-increase", "50%", "--json"});
        QCOMPARE(rec.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(rec.out).object();
        QCOMPARE(j["choice"].toString(), QString("Q4_0"));
        QVERIFY(j["explanation"].toString().contains("Q4_0"));
        QCOMPARE(cli({"recommend", results, "--use-case", "poetry"}).code, 2);
        qbtest::writeFile(dir + "/broken.json", "{\"schema_version\": 1, \"variants\": 3}");
        const Run broken = cli({"recommend", QString::fromStdString(dir + "/broken.json")});
        QCOMPARE(broken.code, 2);
        QVERIFY2(broken.err.contains("broken.json: key '/model'"), broken.err.constData());
    }
    void chatScriptReusesTheCache_data() {
        QTest::addColumn<bool>("chatml");
        QTest::newRow("plain") << false;
        QTest::newRow("chatml") << true;
    }
    void chatScriptReusesTheCache() {
        QFETCH(bool, chatml);
        const std::string dir = qbtest::scratchDir(chatml ? "cli_chat_ml" : "cli_chat");
        qbtest::writeFile(dir + "/script.json", R"(["Once upon a time", "The cat was happy.", {"content": "Then it rained."}])");
        const QString model = chatml ? QString::fromStdString(qbtest::chatMlStoriesCopy()) : shared("models/stories260K.gguf");
        const Run r = cli({"chat", model, "--script", QString::fromStdString(dir + "/script.json"), "-n", "12", "--temp", "0", "--device", "cpu"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["template"].toString(), chatml ? QString("chat template") : QString("plain transcript"));
        const QJsonArray turns = j["turns"].toArray();
        QCOMPARE(turns.size(), 3);
        int cached = 0;
        for (const auto& t : turns) {
            const QJsonObject s = t.toObject()["stats"].toObject();
            QCOMPARE(s["reused"].toInt(), cached); // turns 2 and 3 run only what the cache lacks
            QCOMPARE(s["reused"].toInt() + s["evaluated"].toInt(), s["prompt_tokens"].toInt());
            cached = s["prompt_tokens"].toInt() + s["generated"].toInt() - 1;
            QVERIFY(!t.toObject()["assistant"].toString().isEmpty());
        }
        qbtest::writeFile(dir + "/bad.json", R"({"not": "a list"})");
        const Run bad = cli({"chat", model, "--script", QString::fromStdString(dir + "/bad.json")});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("bad.json"), bad.err.constData());
    }
    void chatTemplateCommand() {
        const std::string dir = qbtest::scratchDir("cli_template");
        qbtest::writeFile(dir + "/m.json", R"([{"role": "user", "content": "Hi"}])");
        const QString messages = QString::fromStdString(dir + "/m.json");
        const Run r = cli({"chat-template", QString::fromStdString(qbtest::chatMlStoriesCopy()), "--messages", messages, "--add-generation-prompt"});
        QCOMPARE(r.code, 0);
        QCOMPARE(QString::fromUtf8(r.out), QString("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
        const Run none = cli({"chat-template", shared("models/stories260K.gguf"), "--messages", messages});
        QCOMPARE(none.code, 2);
        QVERIFY2(none.err.contains("has no chat template"), none.err.constData());
        qbtest::writeFile(dir + "/raise.jinja", "{{ raise_exception('System role not supported') }}");
        const Run raised = cli({"chat-template", "--template", QString::fromStdString(dir + "/raise.jinja"), "--messages", messages});
        QCOMPARE(raised.code, 2);
        QVERIFY2(raised.err.contains("System role not supported"), raised.err.constData());
        qbtest::writeFile(dir + "/bad.json", "[{\"content\": 1}]");
        QCOMPARE(cli({"chat-template", "--template", QString::fromStdString(dir + "/raise.jinja"), "--messages", QString::fromStdString(dir + "/bad.json")}).code, 2);
    }
    // quantize to a mix: targets no type list can meet, unknown types, a short calibration text: exit 2 naming the option and the bound
    void mixTargetsOutOfReachExitTwo() {
        const std::string dir = qbtest::scratchDir("cli_mix");
        const QString model = shared("models/stories260K.gguf"), out = QString::fromStdString(dir + "/mix.gguf");
        const QString calib = shared("text/tinystories_sample.txt");
        qbtest::writeFile(dir + "/short.txt", "Once upon a time.");
        // the smallest mix of the default types is pure Q4_0 (ffn_down's 172-wide rows fall back to F16, norms stay F32)
        const Run pure = cli({"quantize", model, QString::fromStdString(dir + "/q4_0.gguf"), "--type", "Q4_0", "--pure", "--json"});
        QCOMPARE(pure.code, 0);
        const QByteArray least = QByteArray::number(QJsonDocument::fromJson(pure.out).object()["bits_per_weight"].toDouble(), 'f', 3);
        struct Case {
            QStringList args;
            QByteArray says;
        };
        const Case cases[] = {
            {{"--target-bpw", "4.5", "--calib", calib, "--ctx", "128"}, "below the smallest mix of the candidate types, " + least + " bpw"},
            {{"--target-bpw", "33", "--calib", calib, "--ctx", "128"}, "expected below the source's 32."},
            {{"--target-bytes", "1000", "--calib", calib, "--ctx", "128"}, "--target-bytes': 1000 is below the smallest mix"},
            {{"--max-kld", "-1", "--calib", calib, "--ctx", "128"}, "--max-kld"},
            {{"--target-bpw", "8", "--types", "Q4_0,Q7_1", "--calib", calib}, "'Q7_1' is not a type a mix can use"},
            {{"--target-bpw", "8", "--calib", QString::fromStdString(dir + "/short.txt"), "--ctx", "128"}, "expected at least 128 (one chunk of --ctx)"},
            {{"--target-bpw", "8"}, "needs a calibration text (--calib FILE)"},
            {{"--target-bpw", "8", "--max-kld", "0.1", "--calib", calib}, "expected one mix target"},
            {{"--target-bpw", "8", "--type", "Q4_0", "--calib", calib}, "expected a type or a mix target"},
        };
        for (const Case& c : cases) {
            const Run r = cli(QStringList{"quantize", model, out} + c.args);
            QVERIFY2(r.code == 2, qPrintable(c.args.join(' ') + ": exit " + QString::number(r.code) + " " + r.err));
            QVERIFY2(r.err.contains(c.says), qPrintable(c.args.join(' ') + ": " + r.err));
            QVERIFY(!QFile::exists(out));
        }
    }
    void badInputExitsTwoNamingTheFile() {
        const std::string dir = qbtest::scratchDir("cli_bad");
        const std::string bad = dir + "/broken.gguf";
        qbtest::writeFile(bad, std::string("GGUF\x03\0\0\0", 8) + std::string(10, '\x7f'));
        const std::string before = qbtest::readFile(bad);
        for (const QString& cmd : QStringList{"info", "generate", "perplexity"}) {
            QStringList args{cmd, QString::fromStdString(bad)};
            if (cmd == "perplexity") args << "--text" << shared("text/tinystories_sample.txt");
            const Run r = cli(args);
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.contains("broken.gguf"), r.err.constData());
            QCOMPARE(r.err.count('\n'), 1); // one clear line
        }
        QCOMPARE(qbtest::readFile(bad), before);
        QCOMPARE(cli({"info", "/nonexistent/model.gguf"}).code, 2);
        QCOMPARE(cli({"generate", shared("models/stories260K.gguf"), "--bogus"}).code, 2);
        QCOMPARE(cli({"nosuchcommand"}).code, 2);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
