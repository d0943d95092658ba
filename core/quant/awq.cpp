#include "quant/awq.h"

#include "common/error.h"
#include "common/thread_pool.h"
#include "model/forward_cpu.h"
#include "quant/quantize.h"
#include "quant/layer_slots.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

namespace qb {

namespace {

bool quantized(GgmlType t) { return t != GgmlType::F32 && t != GgmlType::F16 && t != GgmlType::BF16; }

constexpr int kClipGroup = 32; // columns that share one clipping threshold

// A view's rows as F32 (rows x cols).
std::vector<float> viewValues(const Tensor& view) {
    std::vector<float> v(size_t(view.rows() * view.cols()));
    for (int64_t r = 0; r < view.rows(); ++r) view.dequantizeRowTo(r, &v[size_t(r * view.cols())]);
    return v;
}

// The values AWQ writes, per tensor of the file. A weight view may be rows of
// a larger tensor (a fused q|k|v or gate|up), so views are located by address.
class Overrides {
public:
    Overrides(const Model& model, std::map<std::string, std::vector<float>>& store) : m_model(model), m_store(store) {}
    // The file's tensor whose bytes hold the view.
    const Tensor& sourceOf(const Tensor& view) const { return sourceTensorOf(m_model, view); }
    float* rowsOf(const Tensor& view) {
        const Tensor& t = sourceOf(view);
        auto it = m_store.find(t.name);
        if (it == m_store.end()) it = m_store.emplace(t.name, dequantizeTensor(t)).first;
        return it->second.data() + size_t(firstRowOf(t, view) * t.cols());
    }

private:
    const Model& m_model;
    std::map<std::string, std::vector<float>>& m_store;
};

// Q(W·s)/s: what the layer computes once W's columns are scaled by s, the
// scale folded into the input, and W·s quantized to `type`.
std::vector<float> scaledRoundTrip(const std::vector<float>& w, int64_t rows, int64_t cols, GgmlType type, const std::vector<float>& s,
                                   ThreadPool& pool) {
    std::vector<float> out(w.size());
    pool.parallelFor(rows, [&](int64_t begin, int64_t end) {
        std::vector<float> scaled(static_cast<size_t>(cols), 0.0f);
        std::vector<uint8_t> q(rowBytes(type, cols));
        for (int64_t r = begin; r < end; ++r) {
            const float* wr = &w[size_t(r * cols)];
            float* o = &out[size_t(r * cols)];
            for (int64_t c = 0; c < cols; ++c) scaled[size_t(c)] = wr[c] * s[size_t(c)];
            quantizeRow(type, scaled.data(), q.data(), cols);
            dequantizeRow(type, q.data(), o, cols);
            for (int64_t c = 0; c < cols; ++c) o[c] /= s[size_t(c)];
        }
    });
    return out;
}

// Up to `limit` rows of x (cols wide) taken evenly from the chunks selected.
std::vector<float> sampleRows(const std::vector<std::vector<float>>& perChunk, const std::vector<bool>& take, int64_t cols, int limit) {
    int64_t total = 0;
    for (size_t c = 0; c < perChunk.size(); ++c)
        if (take[c]) total += int64_t(perChunk[c].size()) / cols;
    const int64_t stride = std::max<int64_t>(1, (total + limit - 1) / limit);
    std::vector<float> out;
    int64_t index = 0;
    for (size_t c = 0; c < perChunk.size(); ++c) {
        if (!take[c]) continue;
        const int64_t n = int64_t(perChunk[c].size()) / cols;
        for (int64_t t = 0; t < n; ++t, ++index)
            if (index % stride == 0) out.insert(out.end(), perChunk[c].begin() + t * cols, perChunk[c].begin() + (t + 1) * cols);
    }
    return out;
}

// Sum over rows and sample inputs of ((w - Q(v)) · x)^2: the output error of
// storing v (w itself, or w clipped) quantized, against w.
double outputError(const std::vector<float>& w, const std::vector<float>& v, int64_t rows, int64_t cols, GgmlType type, const std::vector<float>& x,
                   ThreadPool& pool) {
    const int64_t n = int64_t(x.size()) / cols;
    std::vector<double> perRow(size_t(rows), 0.0);
    pool.parallelFor(rows, [&](int64_t begin, int64_t end) {
        std::vector<uint8_t> q(rowBytes(type, cols));
        std::vector<float> diff(static_cast<size_t>(cols));
        for (int64_t r = begin; r < end; ++r) {
            quantizeRow(type, &v[size_t(r * cols)], q.data(), cols);
            dequantizeRow(type, q.data(), diff.data(), cols);
            for (int64_t c = 0; c < cols; ++c) diff[size_t(c)] = w[size_t(r * cols + c)] - diff[size_t(c)];
            double e = 0;
            for (int64_t t = 0; t < n; ++t) {
                double d = 0;
                for (int64_t c = 0; c < cols; ++c) d += double(diff[size_t(c)]) * x[size_t(t * cols + c)];
                e += d * d;
            }
            perRow[size_t(r)] = e;
        }
    });
    double e = 0;
    for (double v : perRow) e += v;
    return e;
}

// llm-awq's auto_clip: per row and 32-column group, the fraction of max|w|
// (1, 0.95, ...) whose quantized group output on the sample inputs is closest
// to the unclipped weights' output. Returns w clipped; `meanShrink` the mean fraction.
std::vector<float> searchClipping(const std::vector<float>& w, int64_t rows, int64_t cols, GgmlType type, const std::vector<float>& x, int steps,
                                  ThreadPool& pool, double& meanShrink) {
    const int64_t n = int64_t(x.size()) / cols, groups = cols / kClipGroup;
    std::vector<float> clipped(w.size());
    std::vector<double> shrinkSum(size_t(rows), 0.0);
    pool.parallelFor(rows, [&](int64_t begin, int64_t end) {
        std::vector<double> reference(static_cast<size_t>(groups * n)), best(static_cast<size_t>(groups)), err(static_cast<size_t>(groups));
        std::vector<float> limit(static_cast<size_t>(groups)), bestShrink(static_cast<size_t>(groups)), trial(static_cast<size_t>(cols)),
            back(static_cast<size_t>(cols));
        std::vector<uint8_t> q(rowBytes(type, cols));
        auto groupOutputs = [&](const float* v, auto&& use) {
            for (int64_t g = 0; g < groups; ++g)
                for (int64_t t = 0; t < n; ++t) {
                    double d = 0;
                    for (int64_t c = g * kClipGroup; c < (g + 1) * kClipGroup; ++c) d += double(v[c]) * x[size_t(t * cols + c)];
                    use(g, t, d);
                }
        };
        for (int64_t r = begin; r < end; ++r) {
            const float* wr = &w[size_t(r * cols)];
            groupOutputs(wr, [&](int64_t g, int64_t t, double d) { reference[size_t(g * n + t)] = d; });
            for (int64_t g = 0; g < groups; ++g) {
                float m = 0;
                for (int64_t c = g * kClipGroup; c < (g + 1) * kClipGroup; ++c) m = std::max(m, std::fabs(wr[c]));
                limit[size_t(g)] = m;
            }
            std::fill(best.begin(), best.end(), std::numeric_limits<double>::infinity());
            for (int i = 0; i < steps; ++i) {
                const float shrink = 1.0f - float(i) / 20.0f;
                for (int64_t c = 0; c < cols; ++c) {
                    const float m = limit[size_t(c / kClipGroup)] * shrink;
                    trial[size_t(c)] = std::clamp(wr[c], -m, m);
                }
                quantizeRow(type, trial.data(), q.data(), cols);
                dequantizeRow(type, q.data(), back.data(), cols);
                std::fill(err.begin(), err.end(), 0.0);
                groupOutputs(back.data(), [&](int64_t g, int64_t t, double d) {
                    const double e = d - reference[size_t(g * n + t)];
                    err[size_t(g)] += e * e;
                });
                for (int64_t g = 0; g < groups; ++g)
                    if (err[size_t(g)] < best[size_t(g)]) {
                        best[size_t(g)] = err[size_t(g)];
                        bestShrink[size_t(g)] = shrink;
                    }
            }
            for (int64_t c = 0; c < cols; ++c) {
                const float m = limit[size_t(c / kClipGroup)] * bestShrink[size_t(c / kClipGroup)];
                clipped[size_t(r * cols + c)] = std::clamp(wr[c], -m, m);
            }
            for (float s : bestShrink) shrinkSum[size_t(r)] += s;
        }
    });
    double total = 0;
    for (double s : shrinkSum) total += s;
    meanShrink = rows * groups > 0 ? total / double(rows * groups) : 1.0;
    return clipped;
}

struct GroupWeights {
    const std::vector<float>* values; // rows x cols
    int64_t rows;
};

// AutoAWQ's weight statistic: per input column, the mean over every row of
// the group's weights of |w| relative to the largest |w| of its 32-column group.
std::vector<double> relativeWeightMean(const std::vector<GroupWeights>& weights, int64_t cols) {
    std::vector<double> mean(static_cast<size_t>(cols), 0.0);
    int64_t rows = 0;
    for (const GroupWeights& g : weights)
        for (int64_t r = 0; r < g.rows; ++r, ++rows) {
            const float* w = g.values->data() + r * cols;
            for (int64_t b = 0; b < cols; b += kClipGroup) {
                const int64_t e = std::min(cols, b + kClipGroup);
                float mx = 0;
                for (int64_t j = b; j < e; ++j) mx = std::max(mx, std::fabs(w[j]));
                for (int64_t j = b; j < e; ++j) mean[size_t(j)] += std::fabs(w[j]) / (double(mx) + 1e-6);
            }
        }
    for (double& v : mean) v /= double(std::max<int64_t>(rows, 1));
    return mean;
}

struct Group {
    std::vector<int> mats;
    int prevMat = -1;            // the matrix whose output rows feed the group (its bias too), or
    const Tensor* prevNorm = nullptr; // the RMSNorm gain that does
};

} // namespace

AwqResult awqSearch(const Model& model, const std::vector<std::vector<int>>& chunks, const std::function<GgmlType(const std::string&)>& typeOf,
                    const AwqOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    if (chunks.size() < 2)
        throw Error("awq: the calibration text gives " + std::to_string(chunks.size()) +
                    " chunk, expected at least 2 (one is held out to check the scales): use a longer text or a smaller --ctx");
    const ModelConfig& c = model.config;
    const int dim = c.dim;
    const int every = std::max(2, o.heldOutEvery);
    std::vector<bool> heldOut(chunks.size()), search(chunks.size());
    AwqResult result;
    int ctx = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
        heldOut[i] = int(i) % every == every - 1 || (chunks.size() < size_t(every) && i + 1 == chunks.size());
        search[i] = !heldOut[i];
        (heldOut[i] ? result.report.heldOutChunks : result.report.searchChunks) += 1;
        result.report.tokens += int(chunks[i].size());
        ctx = std::max(ctx, int(chunks[i].size()));
    }

    ThreadPool pool(o.threads);
    Model work = model; // the same weight views; one layer at a time is pointed at F32 copies
    CpuForwardOptions fo;
    fo.contextLength = ctx;
    fo.kvType = KvCacheType::F32;
    CpuForward fwd(work, pool, fo);
    Overrides values(model, result.overrides);

    std::vector<std::vector<float>> x(chunks.size()); // the current layer's inputs, per chunk
    for (size_t i = 0; i < chunks.size(); ++i) {
        x[i].resize(chunks[i].size() * size_t(dim));
        fwd.embed(chunks[i].data(), int(chunks[i].size()), x[i].data());
    }

    for (int l = 0; l < c.nLayers; ++l) {
        const LayerWeights& L = model.weights.layers[size_t(l)];
        LayerWeights& S = work.weights.layers[size_t(l)];
        std::vector<float> w0[MatCount]; // the layer's weights in F32, as the source has them
        std::vector<std::unique_ptr<ViewSwap>> slots;
        for (int m = 0; m < MatCount; ++m) {
            w0[m] = viewValues(slot(L, m));
            slots.push_back(std::make_unique<ViewSwap>(slot(S, m), GgmlType::F32, w0[m].data()));
        }

        // 1. the layer in full precision: its outputs, and every matrix's inputs
        std::vector<std::vector<float>> y(chunks.size());
        std::vector<std::vector<float>> inputs[InputCount];
        for (auto& in : inputs) in.resize(chunks.size());
        size_t current = 0;
        fwd.setObserver([&](const Tensor& w, const float* in, int n) {
            const int64_t cols = w.cols();
            for (int m : {int(Q), int(O), int(Gate), int(Down)})
                if (&w == &slot(S, m)) inputs[inputOf(m)][current].assign(in, in + size_t(n * cols));
        });
        for (current = 0; current < chunks.size(); ++current) {
            y[current] = x[current];
            fwd.reset();
            fwd.forwardLayers(y[current].data(), int(chunks[current].size()), l, l + 1);
        }
        fwd.setObserver(nullptr);
        auto layerError = [&](const std::vector<bool>& which) {
            double e = 0;
            std::vector<float> out;
            for (size_t i = 0; i < chunks.size(); ++i) {
                if (!which[i]) continue;
                out = x[i];
                fwd.reset();
                fwd.forwardLayers(out.data(), int(chunks[i].size()), l, l + 1);
                for (size_t j = 0; j < out.size(); ++j) e += double(out[j] - y[i][j]) * double(out[j] - y[i][j]);
            }
            return e;
        };

        // 2-3. per group: the scale search on the layer's output, held-out check, folding
        std::vector<Group> groups = {{{Q, K, V}, -1, &L.attnNorm}, {{Gate, Up}, -1, &L.ffnNorm}, {{Down}, Up, nullptr}};
        if (c.nHeads == c.nKvHeads && L.wo.cols() == L.wv.rows()) groups.insert(groups.begin() + 1, Group{{O}, V, nullptr});
        for (const Group& g : groups) {
            bool anyQuantized = false;
            for (int m : g.mats) anyQuantized |= quantized(typeOf(values.sourceOf(slot(L, m)).name));
            if (!anyQuantized) continue;
            const LayerInput input = inputOf(g.mats.front());
            const int64_t cols = slot(L, g.mats.front()).cols();
            std::vector<double> meanAbs(static_cast<size_t>(cols), 0.0);
            int64_t rowsSeen = 0;
            for (size_t i = 0; i < chunks.size(); ++i) {
                if (!search[i]) continue;
                const std::vector<float>& in = inputs[input][i];
                for (size_t j = 0; j < in.size(); ++j) meanAbs[j % size_t(cols)] += std::fabs(in[j]);
                rowsSeen += int64_t(in.size()) / cols;
            }
            std::vector<GroupWeights> weights;
            for (int m : g.mats) weights.push_back({&w0[m], slot(L, m).rows()});
            const std::vector<double> wMean = relativeWeightMean(weights, cols);
            auto scalesFor = [&](float alpha) { // s = mean|x|^a / mean(|w| / max|w| of its group)^(1-a), normalised
                std::vector<float> s(static_cast<size_t>(cols));
                float mx = 0, mn = std::numeric_limits<float>::infinity();
                for (int64_t j = 0; j < cols; ++j) {
                    const double x = std::max(meanAbs[size_t(j)] / double(std::max<int64_t>(rowsSeen, 1)), 1e-8);
                    s[size_t(j)] = std::max(float(std::pow(x, double(alpha)) / (std::pow(wMean[size_t(j)], 1.0 - alpha) + 1e-4)), 1e-4f);
                    mx = std::max(mx, s[size_t(j)]);
                    mn = std::min(mn, s[size_t(j)]);
                }
                const float norm = std::sqrt(mx * mn);
                for (float& v : s) v /= norm;
                return s;
            };
            auto errorWith = [&](float alpha, const std::vector<bool>& which) {
                const std::vector<float> s = scalesFor(alpha);
                std::vector<std::vector<float>> candidates;
                std::vector<std::unique_ptr<ViewSwap>> swapped;
                candidates.reserve(g.mats.size());
                for (int m : g.mats) {
                    const Tensor& t = slot(L, m);
                    const GgmlType type = typeOf(values.sourceOf(t).name);
                    candidates.push_back(quantized(type) ? scaledRoundTrip(w0[m], t.rows(), cols, type, s, pool) : w0[m]);
                    swapped.push_back(std::make_unique<ViewSwap>(slot(S, m), GgmlType::F32, candidates.back().data()));
                }
                return layerError(which);
            };
            float bestAlpha = 0;
            double bestError = std::numeric_limits<double>::infinity();
            for (int i = 0; i < o.scaleGrid; ++i) {
                const float alpha = float(i) / float(o.scaleGrid);
                const double e = errorWith(alpha, search);
                if (e < bestError) {
                    bestError = e;
                    bestAlpha = alpha;
                }
            }
            AwqGroupReport report;
            report.first = slot(L, g.mats.front()).name;
            report.alpha = bestAlpha;
            report.heldOutRtn = errorWith(0.0f, heldOut);
            report.heldOutScaled = bestAlpha == 0 ? report.heldOutRtn : errorWith(bestAlpha, heldOut);
            report.kept = bestAlpha != 0 && report.heldOutScaled < report.heldOutRtn;
            result.report.groups.push_back(report);
            if (!report.kept) continue;
            const std::vector<float> s = scalesFor(bestAlpha);
            for (int m : g.mats) {
                float* v = values.rowsOf(slot(L, m));
                for (int64_t r = 0; r < slot(L, m).rows(); ++r)
                    for (int64_t j = 0; j < cols; ++j) v[r * cols + j] *= s[size_t(j)];
            }
            if (g.prevNorm) {
                float* v = values.rowsOf(*g.prevNorm);
                for (int64_t j = 0; j < cols; ++j) v[j] /= s[size_t(j)];
            } else { // the previous matrix: its output row j (and bias j) feeds input column j
                const Tensor& prev = slot(L, g.prevMat);
                float* v = values.rowsOf(prev);
                for (int64_t j = 0; j < cols; ++j)
                    for (int64_t k = 0; k < prev.cols(); ++k) v[j * prev.cols() + k] /= s[size_t(j)];
                if (g.prevMat == V && L.bv.present()) {
                    float* b = values.rowsOf(L.bv);
                    for (int64_t j = 0; j < cols; ++j) b[j] /= s[size_t(j)];
                }
            }
            for (std::vector<float>& in : inputs[input]) // the scaled weights see x / s
                for (size_t j = 0; j < in.size(); ++j) in[j] /= s[j % size_t(cols)];
        }

        // 4-5. clipping, every quantized weight (llm-awq leaves q and k out; the held-out check decides here)
        for (int m = 0; m < MatCount; ++m) {
            const Tensor& t = slot(L, m);
            const GgmlType type = typeOf(values.sourceOf(t).name);
            if (!quantized(type) || t.cols() % kClipGroup != 0 || o.clipSteps <= 1) continue;
            const int64_t rows = t.rows(), cols = t.cols();
            float* stored = values.rowsOf(t);
            const std::vector<float> w(stored, stored + size_t(rows * cols));
            const std::vector<float> xs = sampleRows(inputs[inputOf(m)], search, cols, o.clipTokens);
            const std::vector<float> xh = sampleRows(inputs[inputOf(m)], heldOut, cols, o.clipTokens);
            AwqClipReport report;
            report.name = t.name;
            const std::vector<float> clipped = searchClipping(w, rows, cols, type, xs, o.clipSteps, pool, report.meanShrink);
            report.heldOutBefore = outputError(w, w, rows, cols, type, xh, pool);
            report.heldOutAfter = outputError(w, clipped, rows, cols, type, xh, pool);
            report.kept = report.heldOutAfter < report.heldOutBefore;
            if (report.kept) std::copy(clipped.begin(), clipped.end(), stored);
            result.report.clips.push_back(report);
        }

        // 6. the layer's changed matrices quantized now, as the quantizer's RTN would (same bytes)
        for (auto it = result.overrides.begin(); it != result.overrides.end();) {
            const GgmlType type = typeOf(it->first);
            if (!o.quantizeEachLayer || !quantized(type) || hasRowScale(type)) {
                ++it;
                continue;
            }
            const Tensor* t = nullptr;
            for (const Tensor& candidate : model.tensors)
                if (candidate.name == it->first) t = &candidate;
            if (!t) throw Error(model.path + ": AWQ rewrote tensor '" + it->first + "', which is not among the file's tensors", ErrorKind::Internal);
            const int64_t rows = t->rows(), cols = t->cols();
            const size_t stride = rowBytes(type, cols);
            PreQuantized q;
            q.bytes.resize(stride * size_t(rows));
            const float* v = it->second.data();
            pool.parallelFor(rows, [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) quantizeRow(type, v + r * cols, q.bytes.data() + size_t(r) * stride, cols);
            });
            q.method = "awq+rtn";
            q.error = errorOfBytes(v, rows, cols, q.bytes, type, nullptr, pool);
            result.quantized[it->first] = std::move(q);
            it = result.overrides.erase(it);
        }

        x = std::move(y); // the next layer reads this one's full-precision outputs
        if (o.progress && !o.progress(l + 1, c.nLayers)) throw Error("awq: cancelled", ErrorKind::Cancelled);
    }
    result.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace qb
