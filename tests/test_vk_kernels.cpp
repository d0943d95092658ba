// Every Vulkan kernel against its CPU twin on seeded random data, with the
// Khronos validation layer on (any validation error fails the test) and
// outputs poisoned with NaN first so unwritten elements are caught.
#include "common/error.h"
#include "model/activation_rounding.h"
#include "model/block_dot.h"
#include "model/kquant_dot.h"
#include "vk/repack.h"
#include "model/forward_cpu.h"
#include "quant/quantize.h"
#include "vk/buffer.h"
#include "vk/command_batch.h"
#include "vk/kernel_variants.h"
#include "vk/pipeline.h"
#include "push_constants.h"
#include "support/test_eval.h"
#include "support/vk_data.h"

#include <QtTest>
#include <cmath>
#include <random>

using namespace qb;
using namespace qb::vk;
using namespace qbtest;

namespace {

// rows x cols random weights quantized to t, row after row (the layout of a GGUF tensor).
std::vector<uint8_t> quantizedRows(GgmlType t, int64_t rows, int64_t cols) {
    const auto w = randomValues(size_t(rows * cols), 3);
    const size_t stride = rowBytes(t, cols);
    std::vector<uint8_t> q(stride * size_t(rows));
    for (int64_t r = 0; r < rows; ++r) quantizeRow(t, &w[size_t(r * cols)], q.data() + size_t(r) * stride, cols);
    return q;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

class TestVkKernels : public QObject {
    Q_OBJECT
    std::unique_ptr<Context> ctx;

private slots:
    void initTestCase() {
        ContextOptions o;
        o.validation = true;
        ctx = std::make_unique<Context>(o); // no device = failure, not a skip
        qInfo("device: %s", ctx->label().c_str());
    }
    void cleanupTestCase() {
        QCOMPARE(ctx->validationErrors(), 0);
        ctx.reset();
    }

    // A size from a file's header or a requested context is refused before the
    // driver is asked: more than one allocation may hold, named, no validation error.
    void bufferBeyondDeviceLimitIsRefused() {
        QVERIFY(ctx->maxAllocation() > 0);
        for (VkDeviceSize bytes : {ctx->maxAllocation() + 1, VkDeviceSize(1) << 62}) {
            try {
                Buffer b(*ctx, bytes, Placement::DeviceLocal, "kv cache (test)");
                QFAIL("a buffer larger than the device allows was created");
            } catch (const qb::Error& e) {
                QVERIFY2(QString(e.what()).contains("kv cache (test)") && QString(e.what()).contains("one allocation"), e.what());
            }
        }
        Buffer fits(*ctx, 1 << 20, Placement::DeviceLocal, "fits");
        QCOMPARE(fits.size(), VkDeviceSize(1) << 20);
    }

    void matmulAndGetRows_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("tolerance");
        for (const char* t : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "I8_CH", "F8_E4M3_CH"})
            QTest::newRow(t) << QString(t) << 1e-9; // the kernel and the CPU twin see the same dequantized weights
    }
    void matmulAndGetRows() {
        QFETCH(QString, type);
        QFETCH(double, tolerance);
        const GgmlType t = *typeFromName(type.toStdString());
        const int64_t rows = 48, cols = 512, tokens = 5;
        const auto w = randomValues(size_t(rows * cols), 1);
        const size_t stride = rowBytes(t, cols);
        std::vector<uint8_t> q(stride * rows);
        std::vector<float> scales(size_t(rows), 1.0f);
        for (int64_t r = 0; r < rows; ++r) {
            if (hasRowScale(t)) scales[size_t(r)] = quantizeRowPerChannel(t, &w[size_t(r * cols)], q.data() + size_t(r) * stride, cols);
            else quantizeRow(t, &w[size_t(r * cols)], q.data() + size_t(r) * stride, cols);
        }
        Tensor tensor{"w", t, {cols, rows}, q.data(), q.size()};
        if (hasRowScale(t)) tensor.rowScale = scales.data();
        auto wb = bufferWith(*ctx, q.data(), q.size(), "w");
        auto sb = bufferWith(*ctx, scales.data(), scales.size() * 4, "scales");
        if (!hasKQuantDot(t)) floatMatmul(tensor, *wb, *sb, tokens, tolerance); // the K-quants multiply by integer dots (integerDotMatmul)

        // get_rows: rows 3, 0, 47 of the same weights
        CommandBatch batch(*ctx);
        std::vector<float> wrow(static_cast<size_t>(cols));
        const std::vector<uint32_t> ids{3, 0, 47};
        auto idb = bufferWith(*ctx, ids.data(), ids.size() * 4, "ids");
        auto out = poisoned(*ctx, ids.size() * size_t(cols), "rows");
        Pipeline gr(*ctx, "get_rows_" + lower(type.toStdString()), 4, sizeof(GetRowsPush), 64, getRowsBindings());
        GetRowsPush gp{uint32_t(cols), uint32_t(ids.size()), uint32_t(stride), 0};
        batch.dispatch(gr, {wb.get(), idb.get(), out.get(), sb.get()}, &gp, sizeof gp, uint32_t((cols / 32 + 63) / 64), uint32_t(ids.size()));
        batch.submitAndWait();
        std::vector<float> wantRows;
        for (uint32_t id : ids) {
            tensor.dequantizeRowTo(id, wrow.data());
            wantRows.insert(wantRows.end(), wrow.begin(), wrow.end());
        }
        QVERIFY2(nmse(read(*out, wantRows.size()), wantRows) < 1e-12, qPrintable(type + " get_rows"));
    }

private:
    // matmul_<type> (dequantize in registers) after round_act against its CPU
    // twin: the dequantized weights times the rounded activations.
    void floatMatmul(const Tensor& tensor, const Buffer& wb, const Buffer& sb, int64_t tokens, double tolerance) {
        const int64_t rows = tensor.rows(), cols = tensor.cols();
        const std::string type = typeName(tensor.type);
        const auto x = randomValues(size_t(tokens * cols), 2);
        std::vector<float> want(size_t(tokens * rows)), wrow(static_cast<size_t>(cols)), xr(static_cast<size_t>(cols));
        for (int64_t tk = 0; tk < tokens; ++tk) {
            roundActivationsFor(tensor, &x[size_t(tk * cols)], xr.data());
            for (int64_t r = 0; r < rows; ++r) {
                tensor.dequantizeRowTo(r, wrow.data());
                double s = 0;
                for (int64_t c = 0; c < cols; ++c) s += double(wrow[size_t(c)]) * xr[size_t(c)];
                want[size_t(tk * rows + r)] = float(s);
            }
        }
        auto xb = bufferWith(*ctx, x.data(), x.size() * 4, "x");
        auto xrb = poisoned(*ctx, x.size(), "x rounded");
        auto yb = poisoned(*ctx, want.size(), "y");
        auto dummy = poisoned(*ctx, 4, "unused");
        CommandBatch batch(*ctx);
        const ActivationRounding rounding = activationRounding(tensor.type);
        const Buffer* in = xb.get();
        std::unique_ptr<Pipeline> round;
        if (rounding != ActivationRounding::None) {
            round = std::make_unique<Pipeline>(*ctx, std::string("round_act_") + activationRoundingName(rounding), 3, sizeof(RoundPush), 64);
            RoundPush rp{uint32_t(cols), uint32_t(tokens), 0, 0};
            const uint32_t inv = uint32_t(tokens * cols / activationRoundingSpan(rounding, cols));
            batch.dispatch(*round, {xb.get(), xrb.get(), dummy.get()}, &rp, sizeof rp, (inv + 63) / 64);
            in = xrb.get();
        }
        Pipeline mm(*ctx, "matmul_" + lower(type), 4, sizeof(MatmulPush), 64, matmulBindings());
        MatmulPush mp{uint32_t(rows), uint32_t(cols), uint32_t(tokens), uint32_t(tensor.rowStride()), uint32_t(rows), 0, 0, 0};
        batch.dispatch(mm, {&wb, in, yb.get(), &sb}, &mp, sizeof mp, 1, uint32_t((tokens + 3) / 4));
        batch.submitAndWait();
        const double e = nmse(read(*yb, want.size()), want);
        QVERIFY2(e < std::max(tolerance, 1e-10), qPrintable(QString("%1 matmul nmse %2").arg(type.c_str()).arg(e)));
    }

private slots:
    // The integer-dot path (act_q8_0 + matmul_q) against integerDotRow, bit for
    // bit, in both the SWAR and the integer-dot-product variants, for decode
    // (1 token) and prefill (5 tokens: the 4-token kernel with a ragged end),
    // rows not a multiple of 4, and the residual accumulate.
    void integerDotMatmul_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("dot4");
        QTest::addColumn<bool>("subgroup"); // GPU decode variant: float sums in another order
        QTest::addColumn<int>("tokens");
        for (const char* t : {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"})
            for (bool d : {false, true}) {
                for (int n : {1, 5}) QTest::newRow(qPrintable(QString("%1 %2 %3 tokens").arg(t, d ? "dot4" : "swar").arg(n))) << QString(t) << d << false << n;
                QTest::newRow(qPrintable(QString("%1 %2 subgroup").arg(t, d ? "dot4" : "swar"))) << QString(t) << d << true << 1;
            }
        for (const char* t : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}) // one kernel on every device
            for (int n : {1, 5}) QTest::newRow(qPrintable(QString("%1 %2 tokens").arg(t).arg(n))) << QString(t) << false << false << n;
    }
    void integerDotMatmul() {
        QFETCH(QString, type);
        QFETCH(bool, dot4);
        QFETCH(bool, subgroup);
        QFETCH(int, tokens);
        if (dot4 && !ctx->info().integerDot) QSKIP("device has no integer dot product; the SWAR rows cover it");
        if (subgroup && !ctx->info().subgroupShuffle) QSKIP("device has no subgroup shuffles; the other rows cover it");
        const GgmlType t = *typeFromName(type.toStdString());
        if (hasKQuantDot(t)) return kQuantMatmul(t, tokens);
        const int64_t rows = 42, cols = 800; // 25 blocks: a ragged last group of four scales, uneven phases
        const size_t stride = rowBytes(t, cols);
        const std::vector<uint8_t> q = quantizedRows(t, rows, cols);
        const auto x = randomValues(size_t(tokens * cols), 4, 3.0f);
        const auto y0 = randomValues(size_t(tokens * rows), 5); // the residual the result is added to
        Q8Blocks xq;
        quantizeQ8Blocks(x.data(), int64_t(x.size()), xq);
        std::vector<float> want(y0);
        for (int tk = 0; tk < tokens; ++tk)
            for (int64_t r = 0; r < rows; ++r) {
                const float dot = integerDotRow(t, q.data() + size_t(r) * stride, cols, xq, tk * (cols / 32));
                want[size_t(tk * rows + r)] = y0[size_t(tk * rows + r)] + dot;
            }
        const RepackedBlocks packed = repackBlocks(t, cols, {{q.data(), q.size()}});
        auto qb = bufferWith(*ctx, packed.quants.data(), packed.quants.size(), "repacked quants");
        auto db = bufferWith(*ctx, packed.scales.data(), packed.scales.size() * 4, "block scales");
        auto xb = bufferWith(*ctx, x.data(), x.size() * 4, "x");
        auto yb = bufferWith(*ctx, y0.data(), y0.size() * 4, "y");
        auto xqb = poisoned(*ctx, size_t(tokens * cols / 32 * 16), "x quants");
        auto xmb = poisoned(*ctx, size_t(tokens * cols / 32 * 4), "x meta");
        auto dummy = poisoned(*ctx, 4, "unused");
        CommandBatch batch(*ctx);
        const std::string layout = dot4 ? "_bytes" : "_pairs";
        Pipeline act(*ctx, "act_q8_0_none" + layout, 4, sizeof(ActQuantPush), 8, actQuantBindings());
        ActQuantPush ap{uint32_t(cols), uint32_t(tokens), 1e-5f, uint32_t(cols), 0, 0, 0, 0};
        batch.dispatch(act, {xb.get(), dummy.get(), xqb.get(), xmb.get()}, &ap, sizeof ap, uint32_t((tokens * cols / 32 + 7) / 8));
        const std::string name = std::string(subgroup ? "matmul_q_subgroup_" : tokens == 1 ? "matmul_q_" : "matmul_q4t_") + (dot4 ? "dot4_" : "") +
                                 lower(type.toStdString());
        Pipeline mm(*ctx, name, 5, sizeof(MatmulPush), 64, matmulQBindings());
        MatmulPush mp{uint32_t(rows), uint32_t(cols), uint32_t(tokens), uint32_t(stride), uint32_t(rows), 0, 1, 0};
        const uint32_t groupsX = subgroup ? uint32_t((rows + 7) / 8) : 1;
        batch.dispatch(mm, {qb.get(), xqb.get(), yb.get(), db.get(), xmb.get()}, &mp, sizeof mp, groupsX, tokens == 1 ? 1u : uint32_t((tokens + 3) / 4));
        batch.submitAndWait();
        const auto got = read(*yb, want.size());
        if (subgroup) { // the same integers, float sums in another order
            const double e = nmse(got, want);
            QVERIFY2(e < 1e-12, qPrintable(QString("%1: nmse %2").arg(name.c_str()).arg(e)));
            return;
        }
        expectCpuBits(got, want, name);
    }

private:
    // The K-quant path (act_q8_k + matmul_k) against kQuantDotRow, bit for bit.
    void kQuantMatmul(GgmlType t, int tokens) {
        const int64_t rows = 42, cols = 768; // 3 super-blocks, rows not a multiple of 4
        const size_t stride = rowBytes(t, cols);
        const std::vector<uint8_t> q = quantizedRows(t, rows, cols);
        auto x = randomValues(size_t(tokens * cols), 4, 3.0f);
        for (int64_t c = 256; c < 512; ++c) x[size_t(c)] = 0.0f; // an all-zero super-block (d = 0)
        const auto y0 = randomValues(size_t(tokens * rows), 5);
        Q8KBlocks xq;
        quantizeQ8KBlocks(x.data(), int64_t(x.size()), xq);
        std::vector<float> want(y0);
        for (int tk = 0; tk < tokens; ++tk)
            for (int64_t r = 0; r < rows; ++r)
                want[size_t(tk * rows + r)] = y0[size_t(tk * rows + r)] + kQuantDotRow(t, q.data() + size_t(r) * stride, cols, xq, tk * (cols / 256));
        const RepackedBlocks packed = repackBlocks(t, cols, {{q.data(), q.size()}});
        auto qb = bufferWith(*ctx, packed.quants.data(), packed.quants.size(), "repacked super-blocks");
        auto db = bufferWith(*ctx, packed.scales.data(), packed.scales.size() * 4, "d, dmin");
        auto xb = bufferWith(*ctx, x.data(), x.size() * 4, "x");
        auto yb = bufferWith(*ctx, y0.data(), y0.size() * 4, "y");
        auto xqb = poisoned(*ctx, size_t(tokens * cols / 256 * 128), "x quants");
        auto xmb = poisoned(*ctx, size_t(tokens * cols / 256 * 20), "x sums and d");
        auto dummy = poisoned(*ctx, 4, "unused");
        CommandBatch batch(*ctx);
        Pipeline act(*ctx, "act_q8_k_none", 4, sizeof(ActQuantPush), 8, actQuantKBindings()); // a workgroup of 8 per super-block
        ActQuantPush ap{uint32_t(cols), uint32_t(tokens), 1e-5f, uint32_t(cols), 0, 0, 0, 0};
        batch.dispatch(act, {xb.get(), dummy.get(), xqb.get(), xmb.get()}, &ap, sizeof ap, uint32_t(tokens * cols / 256));
        const std::string name = std::string(tokens == 1 ? "matmul_k_" : "matmul_k4t_") + lower(typeName(t));
        Pipeline mm(*ctx, name, 5, sizeof(MatmulPush), 64, matmulKBindings());
        MatmulPush mp{uint32_t(rows), uint32_t(cols), uint32_t(tokens), uint32_t(stride), uint32_t(rows), 0, 1, 0};
        batch.dispatch(mm, {qb.get(), xqb.get(), yb.get(), db.get(), xmb.get()}, &mp, sizeof mp, 1, tokens == 1 ? 1u : uint32_t((tokens + 3) / 4));
        batch.submitAndWait();
        expectCpuBits(read(*yb, want.size()), want, name);
    }
    // Bit for bit on a CPU device (lavapipe: IEEE-exact division, as the CPU);
    // on GPUs the activation scales' divisions are accurate to a few ulp, so a
    // quant may differ by one: nmse < 1e-6 there.
    void expectCpuBits(const std::vector<float>& got, const std::vector<float>& want, const std::string& name) {
        const std::string diff = compareToCpu(got, want, ctx->info().type == "cpu");
        QVERIFY2(diff.empty(), (name + ": " + diff).c_str());
    }

private slots:
    void rmsNormRopeEltwise() {
        const uint32_t dim = 64, tokens = 3;
        const auto x = randomValues(dim * tokens, 3), g = randomValues(dim, 4), b = randomValues(dim * tokens, 5);
        CommandBatch batch(*ctx);
        // rms_norm
        auto xb = bufferWith(*ctx, x.data(), x.size() * 4, "x");
        auto gb = bufferWith(*ctx, g.data(), g.size() * 4, "g");
        auto yb = poisoned(*ctx, x.size(), "y");
        Pipeline norm(*ctx, ctx->info().float64 ? "rms_norm" : "rms_norm_f32", 3, sizeof(NormPush), 64);
        NormPush np{dim, tokens, 1e-5f, 0};
        batch.dispatch(norm, {xb.get(), gb.get(), yb.get()}, &np, sizeof np, 1);
        batch.submitAndWait();
        std::vector<float> want(x.size());
        for (uint32_t t = 0; t < tokens; ++t) rmsNorm(&x[t * dim], g.data(), int(dim), 1e-5f, &want[t * dim]);
        QVERIFY(nmse(read(*yb, want.size()), want) < 1e-10);
        // rope, both layouts, 2 heads of 32 at positions 7..9: a rotation keeps each pair's norm
        std::vector<float> angles(tokens * 32);
        for (uint32_t t = 0; t < tokens; ++t) {
            float cs[16], sn[16];
            ModelConfig rc;
            rc.headDim = 32;
            rc.ropeFreqBase = 10000.0f;
            RopeAngles(rc, 16).at(int(7 + t), cs, sn);
            for (int i = 0; i < 16; ++i) { angles[t * 32 + 2 * i] = cs[i]; angles[t * 32 + 2 * i + 1] = sn[i]; }
        }
        auto ab = bufferWith(*ctx, angles.data(), angles.size() * 4, "angles");
        for (uint32_t neox : {0u, 1u}) {
            auto rb = bufferWith(*ctx, x.data(), x.size() * 4, "rope");
            Pipeline rope(*ctx, "rope", 2, sizeof(RopePush), 64);
            RopePush rp{2, 32, tokens, dim, neox, 0, 0, 0}; // offset 0: the heads start each row
            batch.dispatch(rope, {rb.get(), ab.get()}, &rp, sizeof rp, (tokens * 2 + 63) / 64); // an invocation a (token, head)
            batch.submitAndWait();
            const auto r = read(*rb, x.size());
            for (uint32_t t = 0; t < tokens; ++t)
                for (uint32_t h = 0; h < 2; ++h)
                    for (uint32_t i = 0; i < 16; ++i) {
                        const uint32_t base = t * dim + h * 32, a = neox ? base + i : base + 2 * i, c = neox ? base + i + 16 : base + 2 * i + 1;
                        const double before = double(x[a]) * x[a] + double(x[c]) * x[c], after = double(r[a]) * r[a] + double(r[c]) * r[c];
                        QVERIFY(std::abs(before - after) < 1e-4 * (1 + before));
                        const double theta = double(7 + t) * std::pow(10000.0, -2.0 * i / 32);
                        // both elements of the pair (a sign flip of the second would keep the norm)
                        const double expectA = x[a] * std::cos(theta) - x[c] * std::sin(theta);
                        const double expectC = x[a] * std::sin(theta) + x[c] * std::cos(theta);
                        QVERIFY2(std::abs(r[a] - expectA) < 1e-3, qPrintable(QString("neox %1 t %2 h %3 i %4: %5 vs %6").arg(neox).arg(t).arg(h).arg(i).arg(r[a]).arg(expectA)));
                        QVERIFY2(std::abs(r[c] - expectC) < 1e-3, qPrintable(QString("neox %1 t %2 h %3 i %4 (second): %5 vs %6").arg(neox).arg(t).arg(h).arg(i).arg(r[c]).arg(expectC)));
                    }
        }
        // swiglu over fused gate|up rows (gate = x, up = b), then add b
        std::vector<float> gu;
        for (uint32_t t = 0; t < tokens; ++t) {
            gu.insert(gu.end(), x.begin() + t * dim, x.begin() + (t + 1) * dim);
            gu.insert(gu.end(), b.begin() + t * dim, b.begin() + (t + 1) * dim);
        }
        auto a1 = poisoned(*ctx, x.size(), "a");
        auto g1 = bufferWith(*ctx, gu.data(), gu.size() * 4, "gate|up");
        auto b1 = bufferWith(*ctx, b.data(), b.size() * 4, "b");
        Pipeline sw(*ctx, "eltwise_swiglu", 2, sizeof(EltwisePush), 64), add(*ctx, "eltwise_add", 2, sizeof(EltwisePush), 64);
        EltwisePush sp{dim * tokens, dim, 0, 0}, ep{dim * tokens, 1, 0, 0};
        batch.dispatch(sw, {a1.get(), g1.get()}, &sp, sizeof sp, 3);
        batch.dispatch(add, {a1.get(), b1.get()}, &ep, sizeof ep, 3);
        batch.submitAndWait();
        std::vector<float> w2(x.size());
        for (size_t i = 0; i < x.size(); ++i) w2[i] = x[i] / (1 + std::exp(-x[i])) * b[i] + b[i];
        QVERIFY(nmse(read(*a1, w2.size()), w2) < 1e-10);
    }
};

QTEST_APPLESS_MAIN(TestVkKernels)
#include "test_vk_kernels.moc"
