#include "quant/calibration.h"

#include "common/error.h"
#include "model/forward_cpu.h"
#include "model/tokenizer.h"

#include <algorithm>
#include <cmath>

namespace qb {

std::vector<std::vector<int>> calibrationChunks(const Model& model, const std::string& text, int ctx, int maxChunks) {
    if (!model.vocab) throw fileError(model.path, "has no tokenizer: calibration text cannot be tokenized");
    Tokenizer tok(model.vocab);
    const std::vector<int> tokens = tok.encode(text, true, false);
    ctx = std::max(2, std::min(ctx, model.config.contextLength > 0 ? model.config.contextLength : ctx));
    int chunks = int((tokens.size() + size_t(ctx) - 1) / size_t(ctx));
    if (maxChunks > 0) chunks = std::min(chunks, maxChunks);
    if (tokens.size() < 2 || chunks < 1) throw Error("calibration: the text gives " + std::to_string(tokens.size()) + " tokens, expected at least 2");
    std::vector<std::vector<int>> out;
    for (int c = 0; c < chunks; ++c) {
        const size_t from = size_t(c) * size_t(ctx);
        const size_t to = std::min(tokens.size(), from + size_t(ctx));
        out.emplace_back(tokens.begin() + long(from), tokens.begin() + long(to));
        if (model.vocab->bos >= 0) out.back()[0] = model.vocab->bos;
    }
    return out;
}

CalibrationStats collectCalibration(const Model& model, const std::string& text, const CalibrationOptions& o) {
    const std::vector<std::vector<int>> chunks = calibrationChunks(model, text, o.ctx, o.maxChunks);
    int ctx = 0;
    for (const auto& c : chunks) ctx = std::max(ctx, int(c.size()));

    ThreadPool pool(o.threads);
    CpuForwardOptions fo;
    fo.contextLength = ctx;
    fo.kvType = KvCacheType::F32;
    CpuForward fwd(model, pool, fo);
    CalibrationStats stats;
    fwd.setObserver([&](const Tensor& w, const float* x, int n) {
        InputStats& s = stats[w.name];
        const int64_t cols = w.cols();
        if (s.cols == 0) {
            s.cols = cols;
            s.sumSquares.assign(size_t(cols), 0.0);
        }
        for (int t = 0; t < n; ++t) {
            const float* row = x + int64_t(t) * cols;
            for (int64_t c = 0; c < cols; ++c) {
                s.sumSquares[size_t(c)] += double(row[c]) * row[c];
                s.maxAbs = std::max(s.maxAbs, std::fabs(double(row[c])));
            }
        }
        s.tokens += n;
    });
    std::vector<float> logits;
    for (size_t c = 0; c < chunks.size(); ++c) {
        fwd.reset();
        fwd.forward(chunks[c].data(), int(chunks[c].size()), logits, false);
        if (o.progress && !o.progress(int(c) + 1, int(chunks.size()))) throw Error("calibration: cancelled", ErrorKind::Cancelled);
    }
    return stats;
}

} // namespace qb
