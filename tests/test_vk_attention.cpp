// The attention kernels against a CPU twin written from the reference's
// arithmetic (CpuForward::attention, its softmax, softcap and F16 rounding of
// the query and the probabilities), on random caches at realistic head sizes:
// prefill (attention.comp: ragged query tiles and key blocks, a chunk that
// starts past the first row, windows, soft-caps, every cache format) and decode
// (attention_decode.comp: RoPE, the cache append, and the variant that also
// writes the output as Q8_0 blocks for an integer-dot output projection).
// Bit for bit on a CPU device; nmse < 1e-6 on GPUs (division, exp and tanh to
// a few ulp there). The Khronos validation layer is on.
#include "common/half.h"
#include "model/activations.h"
#include "model/block_dot.h"
#include "model/forward_cpu.h"
#include "vk/buffer.h"
#include "vk/command_batch.h"
#include "vk/pipeline.h"
#include "push_constants.h"
#include "support/test_eval.h"
#include "support/vk_data.h"

#include <QtTest>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>

using namespace qb;
using namespace qb::vk;
using namespace qbtest;

namespace {

constexpr uint32_t kHeads = 4, kKvHeads = 2, kCapacity = 80;

float round16(float v) { return halfToFloat(floatToHalf(v)); }

// A cache of `positions` x kvDim values in one storage format: the words the
// kernels read, the block scales (byte formats), and the values they stand for.
struct Cache {
    std::vector<uint32_t> words;
    std::vector<float> scales{0.0f}, values;
};

Cache randomCache(const std::string& kv, uint32_t kvDim, unsigned seed) {
    const size_t n = size_t(kCapacity) * kvDim;
    const auto x = randomValues(n, seed);
    Cache c;
    c.values.resize(n);
    if (kv == "f32") {
        c.words.resize(n);
        for (size_t i = 0; i < n; ++i) c.values[i] = x[i], std::memcpy(&c.words[i], &x[i], 4);
    } else if (kv == "f16") {
        c.words.assign(n / 2, 0);
        for (size_t i = 0; i < n; ++i) {
            const uint16_t h = floatToHalf(x[i]);
            c.values[i] = halfToFloat(h);
            c.words[i / 2] |= uint32_t(h) << (16 * (i % 2));
        }
    } else { // q8_0: int8 values and an F16-valued scale per 32
        c.words.assign(n / 4, 0);
        c.scales.resize(n / 32);
        std::mt19937 rng(seed);
        for (size_t b = 0; b < n / 32; ++b) c.scales[b] = round16(0.005f + 0.02f * float(rng() % 100) / 100.0f);
        for (size_t i = 0; i < n; ++i) {
            const int q = int(rng() % 255) - 127;
            c.values[i] = float(q) * c.scales[i / 32];
            c.words[i / 4] |= (uint32_t(q) & 255u) << (8 * (i % 4));
        }
    }
    return c;
}

// One query head's attention over positions first..pos of the caches, as the CPU reference computes it.
void attendTwin(const float* q, float qScale, const Cache& K, const Cache& V, uint32_t kvh, uint32_t hd, uint32_t kvDim, uint32_t pos,
                uint32_t window, float scale, float cap, bool f16, float* out) {
    float qh[256];
    for (uint32_t i = 0; i < hd; ++i) qh[i] = f16 ? round16(q[i] * qScale) : q[i] * qScale;
    const uint32_t first = window > 0 && pos + 1 > window ? pos + 1 - window : 0;
    std::vector<float> scores;
    for (uint32_t p = first; p <= pos; ++p) {
        const float* k = &K.values[size_t(p) * kvDim + kvh * hd];
        float dot = 0;
        for (uint32_t i = 0; i < hd; ++i) dot += qh[i] * k[i];
        const float s = dot * scale;
        scores.push_back(cap > 0 ? softcap(s, cap) : s);
    }
    softmax(scores.data(), int(scores.size()));
    std::fill(out, out + hd, 0.0f);
    for (uint32_t p = first; p <= pos; ++p) {
        const float* v = &V.values[size_t(p) * kvDim + kvh * hd];
        const float a = f16 ? round16(scores[p - first]) : scores[p - first];
        for (uint32_t i = 0; i < hd; ++i) out[i] += a * v[i];
    }
}

} // namespace

class TestVkAttention : public QObject {
    Q_OBJECT
    std::unique_ptr<Context> ctx;

    // Bit for bit where the device runs the bit-identical kernels (a CPU device with double sums, as the reference).
    bool bitIdentical() const { return ctx->info().type == "cpu" && ctx->info().float64; }
    void expectCpuBits(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
        const std::string diff = compareToCpu(got, want, bitIdentical());
        QVERIFY2(diff.empty(), (what + ": " + diff).c_str());
    }

private slots:
    void initTestCase() {
        ContextOptions o;
        o.validation = true;
        ctx = std::make_unique<Context>(o);
        qInfo("device: %s", ctx->info().name.c_str());
    }
    void cleanupTestCase() {
        QCOMPARE(ctx->validationErrors(), 0);
        ctx.reset();
    }

    // A chunk of 29 queries (rows 5..33 of the batch: the engine's chunks start
    // past row 0) at positions 35..63 over a cache whose earlier 30 positions
    // were filled before; heads of 64 and 128.
    void prefillMatchesTwin_data() {
        QTest::addColumn<QString>("kv");
        QTest::addColumn<uint32_t>("headDim");
        QTest::addColumn<uint32_t>("window");
        QTest::addColumn<float>("softcap");
        QTest::addColumn<float>("qScale");
        for (const char* kv : {"f32", "f16", "q8_0"}) {
            QTest::newRow(qPrintable(QString("%1 hd64").arg(kv))) << QString(kv) << 64u << 0u << 0.0f << 1.0f;
            QTest::newRow(qPrintable(QString("%1 hd128 window 9 softcap 20 qscale").arg(kv))) << QString(kv) << 128u << 9u << 20.0f << 0.125f;
        }
    }
    void prefillMatchesTwin() {
        QFETCH(QString, kv);
        QFETCH(uint32_t, headDim);
        QFETCH(uint32_t, window);
        QFETCH(float, softcap);
        QFETCH(float, qScale);
        const uint32_t hd = headDim, kvDim = kKvHeads * hd, qStride = kHeads * hd + 2 * kvDim, rows = 34, first = 5, tokens = 29, pos0 = 30;
        const float scale = 1.0f / std::sqrt(float(hd));
        const Cache K = randomCache(kv.toStdString(), kvDim, 1), V = randomCache(kv.toStdString(), kvDim, 2);
        const auto q = randomValues(size_t(rows) * qStride, 3, 2.0f);
        std::vector<float> want(size_t(tokens) * kHeads * hd);
        for (uint32_t t = 0; t < tokens; ++t)
            for (uint32_t h = 0; h < kHeads; ++h)
                attendTwin(&q[size_t(first + t) * qStride + h * hd], qScale, K, V, h / (kHeads / kKvHeads), hd, kvDim, pos0 + first + t, window, scale,
                           softcap, kv == "f16", &want[(size_t(t) * kHeads + h) * hd]);

        auto qb = bufferWith(*ctx, q.data(), q.size() * 4, "q|k|v rows");
        auto kb = bufferWith(*ctx, K.words.data(), K.words.size() * 4, "K cache");
        auto vb = bufferWith(*ctx, V.words.data(), V.words.size() * 4, "V cache");
        auto ksb = bufferWith(*ctx, K.scales.data(), K.scales.size() * 4, "K scales");
        auto vsb = bufferWith(*ctx, V.scales.data(), V.scales.size() * 4, "V scales");
        auto sc = poisoned(*ctx, size_t(tokens) * kHeads * kCapacity, "scores");
        auto out = poisoned(*ctx, size_t(rows) * kHeads * hd, "output");
        const VkFormat none = VK_FORMAT_UNDEFINED, u4 = VK_FORMAT_R32G32B32A32_UINT, f = VK_FORMAT_R32_SFLOAT;
        Pipeline p(*ctx, "attention_" + kv.toStdString() + (ctx->info().float64 ? "" : "_nof64"), 7, sizeof(AttentionPush), 8, {none, u4, u4, f, f, none, none});
        AttentionPush ap{kHeads, kKvHeads, hd, tokens, pos0, kCapacity, scale, window, qStride, 0, qScale, softcap, first, 0, 0, 0};
        CommandBatch batch(*ctx);
        batch.dispatch(p, {qb.get(), kb.get(), vb.get(), ksb.get(), vsb.get(), sc.get(), out.get()}, &ap, sizeof ap, ((tokens + 3) / 4 * kHeads + 7) / 8);
        batch.submitAndWait();
        const auto all = read<float>(*out, size_t(rows) * kHeads * hd);
        const std::vector<float> got(all.begin() + ptrdiff_t(first) * kHeads * hd, all.end());
        expectCpuBits(got, want, "attention_" + kv.toStdString());
        for (size_t i = 0; i < size_t(first) * kHeads * hd; ++i) QVERIFY2(std::isnan(all[i]), "rows before the chunk stay untouched");
    }

    // One decode step at position 41: RoPE on the token's q and k (interleaved
    // and NeoX pairs), its k and v appended to the caches, attention over 42
    // positions; the q8 variants also write the output as Q8_0 blocks.
    void decodeMatchesTwin_data() {
        QTest::addColumn<QString>("kv");
        QTest::addColumn<bool>("neox");
        QTest::addColumn<QString>("q8"); // "", "pairs", "bytes"
        for (const char* kv : {"f32", "f16"})
            for (const char* q8 : {"", "pairs", "bytes"}) QTest::newRow(qPrintable(QString("%1 %2").arg(kv, q8))) << QString(kv) << QString(q8).isEmpty() << QString(q8);
    }
    void decodeMatchesTwin() {
        QFETCH(QString, kv);
        QFETCH(bool, neox);
        QFETCH(QString, q8);
        const uint32_t hd = 64, kvDim = kKvHeads * hd, qDim = kHeads * hd, qStride = qDim + 2 * kvDim, pos = 41;
        const float scale = 1.0f / std::sqrt(float(hd));
        const bool f16 = kv == "f16";
        Cache K = randomCache(kv.toStdString(), kvDim, 4), V = randomCache(kv.toStdString(), kvDim, 5);
        const auto qkv = randomValues(qStride, 6, 2.0f);
        std::vector<float> angles(hd); // (cos, sin) of each pair
        for (uint32_t i = 0; i < hd / 2; ++i) {
            const double theta = double(pos) * std::pow(10000.0, -2.0 * i / hd);
            angles[2 * i] = float(std::cos(theta));
            angles[2 * i + 1] = float(std::sin(theta));
        }
        // the twin: rotate q and k as the reference's rope, append k and v (rounded to the cache), attend
        auto rotate = [&](const float* x, float* y) {
            for (uint32_t i = 0; i < hd / 2; ++i) {
                const uint32_t a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
                y[a] = x[a] * angles[2 * i] - x[b] * angles[2 * i + 1];
                y[b] = x[a] * angles[2 * i + 1] + x[b] * angles[2 * i];
            }
        };
        std::vector<float> q(qDim), k(kvDim);
        for (uint32_t h = 0; h < kHeads; ++h) rotate(&qkv[h * hd], &q[h * hd]);
        for (uint32_t h = 0; h < kKvHeads; ++h) rotate(&qkv[qDim + h * hd], &k[h * hd]);
        for (uint32_t i = 0; i < kvDim; ++i) {
            K.values[size_t(pos) * kvDim + i] = f16 ? round16(k[i]) : k[i];
            V.values[size_t(pos) * kvDim + i] = f16 ? round16(qkv[qDim + kvDim + i]) : qkv[qDim + kvDim + i];
        }
        std::vector<float> want(qDim);
        for (uint32_t h = 0; h < kHeads; ++h)
            attendTwin(&q[h * hd], 1.0f, K, V, h / (kHeads / kKvHeads), hd, kvDim, pos, 0, scale, 0.0f, f16, &want[h * hd]);

        auto qb = bufferWith(*ctx, qkv.data(), qkv.size() * 4, "q|k|v row");
        auto kb = bufferWith(*ctx, K.words.data(), K.words.size() * 4, "K cache");
        auto vb = bufferWith(*ctx, V.words.data(), V.words.size() * 4, "V cache");
        auto ab = bufferWith(*ctx, angles.data(), angles.size() * 4, "angles");
        auto sc = poisoned(*ctx, size_t(kHeads) * kCapacity, "scores");
        auto out = poisoned(*ctx, qDim, "output");
        auto xq = poisoned(*ctx, qDim / 32 * 16, "output quants");
        auto xm = poisoned(*ctx, qDim / 32 * 4, "output block meta");
        const VkFormat none = VK_FORMAT_UNDEFINED, u4 = VK_FORMAT_R32G32B32A32_UINT;
        std::string name = "attention_decode_" + kv.toStdString() + (ctx->info().float64 ? "" : "_nof64");
        std::vector<const Buffer*> buffers{qb.get(), kb.get(), vb.get(), sc.get(), out.get(), ab.get(), kb.get(), vb.get()};
        if (!q8.isEmpty()) {
            name += "_q8_" + q8.toStdString();
            buffers.insert(buffers.end(), {xq.get(), xm.get()});
        }
        Pipeline p(*ctx, name, uint32_t(buffers.size()), sizeof(AttentionPush), 8, {none, none, none, none, none, none, u4, u4, none, none});
        AttentionPush ap{kHeads, kKvHeads, hd, 1, pos, kCapacity, scale, 0, qStride, neox ? 1u : 0u, 1.0f, 0.0f, 0, 0, 0, 0};
        CommandBatch batch(*ctx);
        batch.dispatch(p, buffers, &ap, sizeof ap, 1);
        batch.submitAndWait();
        expectCpuBits(read<float>(*out, qDim), want, name);
        // the appended position holds the rotated k and the v, in the cache's format
        const auto kw = read<uint32_t>(*kb, K.words.size()), vw = read<uint32_t>(*vb, V.words.size());
        for (uint32_t i = 0; i < kvDim; ++i) {
            const size_t at = size_t(pos) * kvDim + i;
            const float kGot = f16 ? halfToFloat(uint16_t(kw[at / 2] >> (16 * (at % 2)))) : std::bit_cast<float>(kw[at]);
            const float vGot = f16 ? halfToFloat(uint16_t(vw[at / 2] >> (16 * (at % 2)))) : std::bit_cast<float>(vw[at]);
            if (bitIdentical()) {
                QCOMPARE(kGot, K.values[at]);
                QCOMPARE(vGot, V.values[at]);
            }
        }
        if (q8.isEmpty()) return;
        // the Q8_0 blocks of the output (with Q8_1's sums), as quantizeQ8Blocks makes them from the CPU's output
        Q8Blocks blocks;
        quantizeQ8Blocks(want.data(), qDim, blocks);
        const auto words = read<uint32_t>(*xq, qDim / 32 * (q8 == "pairs" ? 16 : 8));
        const auto meta = read<float>(*xm, qDim / 32 * 4);
        std::vector<float> gotQ(qDim), wantQ(blocks.q.begin(), blocks.q.end()), gotMeta, wantMeta;
        for (uint32_t b = 0; b < qDim / 32; ++b) {
            for (uint32_t j = 0; j < 32; ++j) {
                if (q8 == "bytes") {
                    gotQ[b * 32 + j] = float(int8_t(words[b * 8 + j / 4] >> (8 * (j % 4))));
                    continue;
                }
                const uint32_t w = j % 16 / 4, within = j % 4, hi = j / 16; // element j's pair word (common/q8_block.glsl)
                const uint32_t word = words[b * 16 + 4 * w + (within % 2) + 2 * hi];
                const int lo = int(int16_t(word & 0xFFFFu)), up = (int(word) - lo) >> 16;
                gotQ[b * 32 + j] = float(within < 2 ? up : lo);
            }
            int sum = 0;
            for (uint32_t j = 0; j < 32; ++j) sum += blocks.q[b * 32 + j];
            gotMeta.insert(gotMeta.end(), {meta[b * 4], meta[b * 4 + 1], meta[b * 4 + 2]});
            wantMeta.insert(wantMeta.end(), {blocks.d[b], float(sum), blocks.s[b]});
        }
        if (bitIdentical()) {
            QCOMPARE(gotQ, wantQ);
            QCOMPARE(gotMeta, wantMeta);
        }
    }
};

QTEST_MAIN(TestVkAttention)
#include "test_vk_attention.moc"
