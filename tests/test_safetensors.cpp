// HF safetensors directory written from the GGUF weights (Q/K un-permuted,
// sharded, tokenizer.json) must load to the same weights, tokens and logits.
#include "common/error.h"
#include "formats/gguf_writer.h"
#include "formats/safetensors.h"
#include "model/forward_cpu.h"
#include "model/hf_names.h"
#include "model/tokenizer.h"
#include "model/hf_export.h"
#include "support/test_eval.h"
#include "support/test_paths.h"

#include <QtTest>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <random>
#include <stdexcept>

using namespace qb;

namespace {


const Tensor* tensorNamed(const Model& m, const std::string& name) {
    for (const Tensor& t : m.tensors)
        if (t.name == name) return &t;
    return nullptr;
}

double nmse(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) throw std::invalid_argument("nmse: vectors of different sizes");
    double err = 0, ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        err += double(a[i] - b[i]) * double(a[i] - b[i]);
        ref += double(b[i]) * double(b[i]);
    }
    return err / ref;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void hfNamesRoundTrip() {
        QCOMPARE(ggufNameFromHf("model.layers.12.self_attn.q_proj.weight"), std::string("blk.12.attn_q.weight"));
        QCOMPARE(hfNameFromGguf("blk.12.attn_q.weight"), std::string("model.layers.12.self_attn.q_proj.weight"));
        // Gemma 2's post_attention_layernorm is its post-attention norm; Llama's is the FFN norm
        QCOMPARE(ggufNameFromHf("model.layers.3.post_attention_layernorm.weight"), std::string("blk.3.ffn_norm.weight"));
        QCOMPARE(ggufNameFromHf("model.layers.3.post_attention_layernorm.weight", Architecture::Gemma2), std::string("blk.3.post_attention_norm.weight"));
        QCOMPARE(hfNameFromGguf("blk.3.ffn_norm.weight", Architecture::Gemma2), std::string("model.layers.3.pre_feedforward_layernorm.weight"));
        QCOMPARE(ggufNameFromHf("model.layers.3.pre_feedforward_layernorm.weight"), std::string()); // not llama's
        QCOMPARE(ggufNameFromHf("model.layers.x.mlp.up_proj.weight"), std::string());
        // HF halves (i, i+d/2) become GGUF pairs (2i, 2i+1)
        QCOMPARE(interleavedRow(0, 8), int64_t(0));
        QCOMPARE(interleavedRow(4, 8), int64_t(1));
        QCOMPARE(interleavedRow(1, 8), int64_t(2));
        QCOMPARE(interleavedRow(8 + 7, 8), int64_t(8 + 7));
    }
    // Progress in bytes up to the total; a cancel mid-export throws Cancelled
    // and leaves no shard or partial shard behind.
    void exportReportsProgressAndCancels() {
        auto gguf = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string dir = qbtest::scratchDir("hf_progress");
        std::vector<std::pair<uint64_t, uint64_t>> calls;
        exportHfDirectory(*gguf, dir + "/all", 2, [&](uint64_t done, uint64_t total) {
            calls.push_back({done, total});
            return true;
        });
        QVERIFY(calls.size() > 2);
        QCOMPARE(calls.front().first, uint64_t(0));
        QCOMPARE(calls.back().first, calls.back().second);
        uint64_t written = 0; // what the export holds, read back
        for (const Tensor& t : loadModel(dir + "/all")->tensors) written += t.bytes;
        QCOMPARE(calls.back().second, written);
        for (size_t i = 1; i < calls.size(); ++i) QVERIFY(calls[i].first > calls[i - 1].first);
        try {
            exportHfDirectory(*gguf, dir + "/cancelled", 2, [&](uint64_t done, uint64_t) { return done == 0; });
            QFAIL("not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        for (const auto& entry : std::filesystem::directory_iterator(dir + "/cancelled")) {
            const std::string name = entry.path().filename().string();
            QVERIFY2(name.find("safetensors") == std::string::npos, name.c_str());
        }
    }
    void sameLogitsAsGguf() {
        auto gguf = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string dir = qbtest::scratchDir("hf_stories260K");
        exportHfDirectory(*gguf, dir, 2);
        auto hf = loadModel(dir);
        QCOMPARE(hf->format, std::string("safetensors"));
        QCOMPARE(hf->config.nKvHeads, 4);
        QCOMPARE(int(hf->tensors.size()), int(gguf->tensors.size()));
        for (const Tensor& t : gguf->tensors) { // every weight identical after the permute round trip
            const Tensor* it = tensorNamed(*hf, t.name);
            QVERIFY2(it, t.name.c_str());
            QCOMPARE(it->shape, t.shape);
            QVERIFY2(std::memcmp(it->data, t.data, t.bytes) == 0, t.name.c_str());
        }
        Tokenizer a(gguf->vocab), b(hf->vocab);
        const std::string text = qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt"));
        const auto ids = a.encode(text, true, false);
        QCOMPARE(b.encode(text, true, false), ids);
        const std::vector<int> first64(ids.begin(), ids.begin() + 64);
        QVERIFY(nmse(qbtest::cpuLogits(*hf, first64), qbtest::cpuLogits(*gguf, first64)) < 1e-12);
    }
    // Gemma 2 through the HF layout: its own norm names (post_attention_layernorm is the
    // post-attention norm), norms stored as w - 1 (Gemma's RMSNorm scales by 1 + w; llama.cpp's
    // converter adds the 1), Gemma2Config's keys, tied embeddings: the same tensors and logits back.
    void gemma2RoundTrip() {
        auto gguf = loadModel(qbtest::sharedPath("models/arch/stories260K-as-gemma2.gguf"));
        const std::string dir = qbtest::scratchDir("hf_gemma2");
        exportHfDirectory(*gguf, dir, 2);
        const auto cfg = nlohmann::json::parse(qbtest::readFile(dir + "/config.json"));
        QCOMPARE(cfg["model_type"].get<std::string>(), std::string("gemma2"));
        QCOMPARE(cfg["head_dim"].get<int>(), 8);
        QCOMPARE(cfg["sliding_window"].get<int>(), 32);
        QCOMPARE(cfg["query_pre_attn_scalar"].get<int>(), 8);
        QCOMPARE(cfg["attn_logit_softcapping"].get<double>(), 50.0);
        QCOMPARE(cfg["final_logit_softcapping"].get<double>(), 30.0);
        QCOMPARE(cfg["hidden_activation"].get<std::string>(), std::string("gelu_pytorch_tanh"));
        QVERIFY(cfg["tie_word_embeddings"].get<bool>());
        const auto index = nlohmann::json::parse(qbtest::readFile(dir + "/model.safetensors.index.json"));
        for (const char* n : {"model.layers.0.post_attention_layernorm.weight", "model.layers.0.pre_feedforward_layernorm.weight",
                              "model.layers.0.post_feedforward_layernorm.weight", "model.layers.25.input_layernorm.weight"})
            QVERIFY2(index["weight_map"].contains(n), n);
        QVERIFY(!index["weight_map"].contains("lm_head.weight"));
        auto hf = loadModel(dir);
        QCOMPARE(hf->config.arch, Architecture::Gemma2);
        QCOMPARE(hf->config.localWindow, 32);
        QCOMPARE(hf->config.attnSoftcap, 50.0f);
        QCOMPARE(hf->config.embeddingScale, 8.0f);
        QCOMPARE(hf->config.scoreScale(), gguf->config.scoreScale());
        QVERIFY(hf->config.postNorms && hf->config.ffnActivation == FfnActivation::GeluTanh);
        QCOMPARE(hf->tensors.size(), gguf->tensors.size());
        for (const Tensor& t : gguf->tensors) {
            const Tensor* it = tensorNamed(*hf, t.name);
            QVERIFY2(it, t.name.c_str());
            QCOMPARE(it->shape, t.shape);
            if (t.name.find("norm.weight") == std::string::npos) {
                QVERIFY2(std::memcmp(it->data, t.data, t.bytes) == 0, t.name.c_str());
                continue;
            }
            // norms come back as 1 + (w - 1): w - 1 rounds where w < 0.5, so within one ulp of 1.0 (exact for
            // HF's own weights, whose 1 + w is exact: HF -> GGUF -> HF keeps them)
            const auto a = dequantizeTensor(t), b = dequantizeTensor(*it);
            for (size_t i = 0; i < a.size(); ++i) QVERIFY2(std::fabs(a[i] - b[i]) <= 1.2e-7f, t.name.c_str());
        }
        const std::vector<int> ids{1, 403, 407, 261, 378, 292, 325, 271, 292, 278};
        const double e = nmse(qbtest::cpuLogits(*hf, ids), qbtest::cpuLogits(*gguf, ids));
        QVERIFY2(e < 1e-6, qPrintable(QString::number(e))); // 1-ulp norm differences through 26 layers and an F16 cache: ~7e-9
        // another activation is refused by name, not run as GeGLU
        auto bad = cfg;
        bad["hidden_activation"] = "gelu";
        qbtest::writeFile(dir + "/config.json", bad.dump(2));
        try {
            loadModel(dir);
            QFAIL("a gemma2 config with hidden_activation gelu loaded");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("hidden_activation") != std::string::npos, e.what());
        }
    }
    // Phi-3 through the HF layout (qkv_proj, gate_up_proj, model_type phi3,
    // sliding_window): the same tensors and logits back.
    void phi3RoundTrip() {
        auto gguf = loadModel(qbtest::sharedPath("models/arch/stories260K-as-phi3.gguf"));
        const std::string dir = qbtest::scratchDir("hf_phi3");
        exportHfDirectory(*gguf, dir, 2);
        const auto cfg = nlohmann::json::parse(qbtest::readFile(dir + "/config.json"));
        QCOMPARE(cfg["model_type"].get<std::string>(), std::string("phi3"));
        QCOMPARE(cfg["sliding_window"].get<int>(), 2048);
        const auto index = nlohmann::json::parse(qbtest::readFile(dir + "/model.safetensors.index.json"));
        QVERIFY(index["weight_map"].contains("model.layers.0.self_attn.qkv_proj.weight"));
        QVERIFY(index["weight_map"].contains("model.layers.0.mlp.gate_up_proj.weight"));
        auto hf = loadModel(dir);
        QCOMPARE(hf->config.arch, Architecture::Phi3);
        QCOMPARE(hf->config.slidingWindow, 2048);
        QVERIFY(hf->config.queryPreScale);
        for (const Tensor& t : gguf->tensors) {
            const Tensor* it = tensorNamed(*hf, t.name);
            QVERIFY2(it, t.name.c_str());
            QVERIFY2(std::memcmp(it->data, t.data, t.bytes) == 0, t.name.c_str());
        }
        Tokenizer tok(gguf->vocab);
        const auto ids = tok.encode(qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt")), true, false);
        const std::vector<int> first64(ids.begin(), ids.begin() + 64);
        QCOMPARE(qbtest::cpuLogits(*hf, first64), qbtest::cpuLogits(*gguf, first64));
        // Phi-3's LongRoPE (128k models; tests/test_rope.cpp) with divisors of the wrong length is refused by name
        auto bad = cfg;
        bad["rope_scaling"] = {{"type", "longrope"}, {"long_factor", {1.0}}, {"short_factor", {1.0}}, {"original_max_position_embeddings", 64}};
        qbtest::writeFile(dir + "/config.json", bad.dump(2));
        try {
            loadModel(dir);
            QFAIL("loaded LongRoPE divisors of the wrong length");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("long_factor"), e.what());
        }
        // and a tensor with no HF form stops the export instead of vanishing from it
        auto l3 = loadModel(qbtest::sharedPath("models/arch/stories260K-llama3-rope.gguf"));
        try {
            exportHfDirectory(*l3, qbtest::scratchDir("hf_llama3_export"), 1);
            QFAIL("exported without rope_freqs.weight");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("rope_freqs.weight"), e.what());
        }
    }
    // HF's rope_scaling {rope_type: llama3} becomes the same per-pair divisors
    // llama.cpp's converter writes as rope_freqs: the same logits as that GGUF.
    void llama3RopeScalingFromHfConfig() {
        auto gguf = loadModel(qbtest::sharedPath("models/arch/stories260K-llama3-rope.gguf"));
        auto plain = loadModel(qbtest::sharedPath("models/stories260K.gguf"));
        const std::string dir = qbtest::scratchDir("hf_llama3_rope");
        exportHfDirectory(*plain, dir, 1);
        auto cfg = nlohmann::json::parse(qbtest::readFile(dir + "/config.json"));
        cfg["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                               {"original_max_position_embeddings", 64}};
        qbtest::writeFile(dir + "/config.json", cfg.dump(2));
        auto hf = loadModel(dir);
        QCOMPARE(hf->config.ropeFreqFactors.size(), gguf->config.ropeFreqFactors.size());
        for (size_t i = 0; i < hf->config.ropeFreqFactors.size(); ++i)
            QVERIFY(std::abs(hf->config.ropeFreqFactors[i] - gguf->config.ropeFreqFactors[i]) <= 1e-6f * gguf->config.ropeFreqFactors[i]);
        QVERIFY(std::any_of(hf->tensors.begin(), hf->tensors.end(), [](const Tensor& t) { return t.name == "rope_freqs.weight"; })); // carried into quantized files
        Tokenizer tok(gguf->vocab);
        const auto ids = tok.encode(qbtest::readFile(qbtest::sharedPath("text/tinystories_sample.txt")), true, false);
        const std::vector<int> first100(ids.begin(), ids.begin() + 100); // past the original context of 64
        QVERIFY(nmse(qbtest::cpuLogits(*hf, first100), qbtest::cpuLogits(*gguf, first100)) < 1e-12);
        QVERIFY(nmse(qbtest::cpuLogits(*hf, first100), qbtest::cpuLogits(*plain, first100)) > 1e-6); // and the scaling changed them

        // what the engine cannot do is refused by name, not ignored
        for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
                 {"rope_scaling", {{"rope_type", "dynamic"}, {"factor", 4.0}}},
                 {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}, {"beta_fast", 16.0}}},
                 {"hidden_act", "gelu"},
                 {"partial_rotary_factor", 0.75},
                 {"use_sliding_window", true}}) {
            auto bad = cfg;
            bad[key] = value;
            if (key == "use_sliding_window") bad["sliding_window"] = 32;
            qbtest::writeFile(dir + "/config.json", bad.dump(2));
            try {
                loadModel(dir);
                QFAIL(qPrintable(QString::fromStdString("loaded with " + key)));
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains(QString::fromStdString(key)), e.what());
            }
        }
    }
    void qwen2KeepsHfLayoutWithNeoxRope() {
        // A small random Qwen2 model written as GGUF, exported to HF: no permute, biases kept.
        const std::string dir = qbtest::scratchDir("qwen2_tiny");
        GgufWriter w;
        const int dim = 64, ffn = 96, heads = 4, kvHeads = 2, vocab = 512, hd = dim / heads;
        w.set("general.architecture", GgufValue::str("qwen2"));
        w.set("qwen2.embedding_length", GgufValue::u32(dim));
        w.set("qwen2.block_count", GgufValue::u32(1));
        w.set("qwen2.feed_forward_length", GgufValue::u32(ffn));
        w.set("qwen2.attention.head_count", GgufValue::u32(heads));
        w.set("qwen2.attention.head_count_kv", GgufValue::u32(kvHeads));
        w.set("qwen2.context_length", GgufValue::u32(128));
        w.set("qwen2.rope.freq_base", GgufValue::f32(1e6f));
        auto src = loadModel(qbtest::sharedPath("models/stories260K.gguf")); // borrow its 512-token vocabulary
        const Vocab& v = *src->vocab;
        w.set("tokenizer.ggml.model", GgufValue::str("llama"));
        w.set("tokenizer.ggml.tokens", GgufValue::stringArray(v.tokens));
        w.set("tokenizer.ggml.scores", GgufValue::floatArray(GgufType::Float32, std::vector<double>(v.scores.begin(), v.scores.end())));
        std::vector<int64_t> types;
        for (auto t : v.types) types.push_back(int64_t(t));
        w.set("tokenizer.ggml.token_type", GgufValue::intArray(GgufType::Int32, types));
        std::mt19937 rng(7);
        auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale) {
            int64_t n = 1;
            for (auto d : shape) n *= d;
            std::vector<uint8_t> bytes(size_t(n) * 4);
            std::normal_distribution<float> dist(scale == 0 ? 1.0f : 0.0f, scale == 0 ? 0.0f : scale);
            for (int64_t i = 0; i < n; ++i) { const float f = scale == 0 ? 1.0f : dist(rng); std::memcpy(&bytes[size_t(i) * 4], &f, 4); }
            w.addTensor({name, GgmlType::F32, shape, [bytes] { return bytes; }});
        };
        add("token_embd.weight", {dim, vocab}, 0.5f);
        add("output_norm.weight", {dim}, 0);
        add("output.weight", {dim, vocab}, 0.2f);
        add("blk.0.attn_norm.weight", {dim}, 0);
        add("blk.0.attn_q.weight", {dim, dim}, 0.2f);
        add("blk.0.attn_k.weight", {dim, kvHeads * hd}, 0.2f);
        add("blk.0.attn_v.weight", {dim, kvHeads * hd}, 0.2f);
        add("blk.0.attn_q.bias", {dim}, 0.5f);
        add("blk.0.attn_k.bias", {kvHeads * hd}, 0.5f);
        add("blk.0.attn_v.bias", {kvHeads * hd}, 0.5f);
        add("blk.0.attn_output.weight", {dim, dim}, 0.2f);
        add("blk.0.ffn_norm.weight", {dim}, 0);
        add("blk.0.ffn_gate.weight", {dim, ffn}, 0.2f);
        add("blk.0.ffn_down.weight", {ffn, dim}, 0.2f);
        add("blk.0.ffn_up.weight", {dim, ffn}, 0.2f);
        w.write(dir + "/qwen2.gguf");
        auto gguf = loadModel(dir + "/qwen2.gguf");
        QCOMPARE(gguf->config.rope, RopeLayout::NeoX);
        exportHfDirectory(*gguf, dir + "/hf", 1);
        auto hf = loadModel(dir + "/hf");
        QCOMPARE(hf->config.arch, Architecture::Qwen2);
        QVERIFY(hf->weights.layers[0].bq.present());
        const std::vector<int> ids{1, 300, 301, 302, 303, 304, 305, 306};
        const auto a = qbtest::cpuLogits(*hf, ids), b = qbtest::cpuLogits(*gguf, ids);
        QVERIFY(nmse(a, b) < 1e-12);
        // and the position matters (RoPE is applied): a shifted sequence changes the last logits
        const auto shifted = qbtest::cpuLogits(*gguf, {1, 306}); // both tokens' logits: compare the last token's
        QCOMPARE(shifted.size(), size_t(2 * 512));
        QVERIFY(nmse(std::vector<float>(shifted.end() - 512, shifted.end()), std::vector<float>(b.end() - 512, b.end())) > 1e-6);
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
