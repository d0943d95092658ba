#include "quant/awq.h"

#include "model/weights.h"
#include "quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace qb {

namespace {

bool quantized(GgmlType t) { return t != GgmlType::F32 && t != GgmlType::F16 && t != GgmlType::BF16; }

// Output error of W quantized after column scaling by s: sum over sample rows of |(W - Q(W s)/s) x|^2.
double scaledLoss(const std::vector<float>& w, int64_t rows, int64_t cols, GgmlType type, const std::vector<float>& s,
                  const InputStats& in) {
    const size_t n = static_cast<size_t>(cols);
    std::vector<float> scaled(n), back(n), err(n);
    std::vector<uint8_t> q(rowBytes(type, cols));
    double loss = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* wr = &w[size_t(r * cols)];
        for (int64_t c = 0; c < cols; ++c) scaled[size_t(c)] = wr[c] * s[size_t(c)];
        quantizeRow(type, scaled.data(), q.data(), cols);
        dequantizeRow(type, q.data(), back.data(), cols);
        for (int64_t c = 0; c < cols; ++c) err[size_t(c)] = wr[c] - back[size_t(c)] / s[size_t(c)];
        for (int64_t t = 0; t < in.sampleRows; ++t) {
            const float* x = &in.sample[size_t(t * cols)];
            double dot = 0;
            for (int64_t c = 0; c < cols; ++c) dot += double(err[size_t(c)]) * x[c];
            loss += dot * dot;
        }
    }
    return loss;
}

} // namespace

AwqResult awqScales(const Model& model, const CalibrationStats& stats, const std::function<GgmlType(const std::string&)>& typeOf) {
    AwqResult result;
    auto values = [&](const Tensor& t) -> std::vector<float>& {
        auto it = result.overrides.find(t.name);
        if (it == result.overrides.end()) it = result.overrides.emplace(t.name, dequantizeTensor(t)).first;
        return it->second;
    };
    const ModelConfig& c = model.config;
    for (const LayerWeights& L : model.weights.layers) {
        struct Group {
            std::vector<const Tensor*> weights;
            const Tensor* prev;  // whose output channels feed this group
            bool prevIsNorm;
        };
        std::vector<Group> groups = {{{&L.wq, &L.wk, &L.wv}, &L.attnNorm, true},
                                     {{&L.wGate, &L.wUp}, &L.ffnNorm, true},
                                     {{&L.wDown}, &L.wUp, false}};
        if (c.nHeads == c.nKvHeads) groups.push_back({{&L.wo}, &L.wv, false});
        for (const Group& g : groups) {
            const Tensor& first = *g.weights.front();
            auto st = stats.find(first.name);
            if (st == stats.end() || st->second.sampleRows == 0 || st->second.tokens == 0) continue;
            bool anyQuantized = false;
            for (const Tensor* w : g.weights) anyQuantized |= quantized(typeOf(w->name));
            if (!anyQuantized) continue;
            const InputStats& in = st->second;
            const int64_t cols = first.cols();
            std::vector<float> meanAbs(static_cast<size_t>(cols));
            for (int64_t j = 0; j < cols; ++j) meanAbs[size_t(j)] = float(std::max(in.sumAbs[size_t(j)] / double(in.tokens), 1e-8));

            auto scalesFor = [&](float alpha) {
                std::vector<float> s(static_cast<size_t>(cols));
                float mx = 0, mn = 1e30f;
                for (int64_t j = 0; j < cols; ++j) {
                    s[size_t(j)] = std::max(std::pow(meanAbs[size_t(j)], alpha), 1e-4f);
                    mx = std::max(mx, s[size_t(j)]);
                    mn = std::min(mn, s[size_t(j)]);
                }
                const float norm = std::sqrt(mx * mn);
                for (float& v : s) v /= norm;
                return s;
            };
            float bestAlpha = 0;
            double bestLoss = -1;
            for (int step = 0; step <= 20; ++step) {
                const float alpha = step / 20.0f;
                const std::vector<float> s = scalesFor(alpha);
                double loss = 0;
                for (const Tensor* w : g.weights) {
                    const GgmlType t = typeOf(w->name);
                    if (!quantized(t)) continue;
                    loss += scaledLoss(values(*w), w->rows(), cols, t, s, in);
                }
                if (bestLoss < 0 || loss < bestLoss) {
                    bestLoss = loss;
                    bestAlpha = alpha;
                }
            }
            result.alpha[first.name] = bestAlpha;
            if (bestAlpha == 0) continue; // s = 1: nothing to fold
            const std::vector<float> s = scalesFor(bestAlpha);
            for (const Tensor* w : g.weights) {
                std::vector<float>& v = values(*w);
                for (int64_t r = 0; r < w->rows(); ++r)
                    for (int64_t j = 0; j < cols; ++j) v[size_t(r * cols + j)] *= s[size_t(j)];
            }
            std::vector<float>& prev = values(*g.prev);
            if (g.prevIsNorm) {
                for (int64_t j = 0; j < cols; ++j) prev[size_t(j)] /= s[size_t(j)];
            } else { // previous matrix: its output row j feeds input column j
                const int64_t pc = g.prev->cols();
                for (int64_t j = 0; j < cols; ++j)
                    for (int64_t k = 0; k < pc; ++k) prev[size_t(j * pc + k)] /= s[size_t(j)];
            }
        }
    }
    return result;
}

} // namespace qb
