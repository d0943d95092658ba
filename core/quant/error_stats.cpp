#include "quant/error_stats.h"

#include "quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qb {

RowError rowError(const float* src, const float* back, int64_t cols) {
    // float sums over 8 lanes within each 64 values (vectorised), carried in double between them
    RowError r;
    int64_t c = 0;
    for (; c + 64 <= cols; c += 64) {
        float e2[8] = {}, r2[8] = {}, m[8] = {};
        for (int64_t i = 0; i < 64; i += 8)
            for (int k = 0; k < 8; ++k) {
                const float x = src[c + i + k], d = x - back[c + i + k];
                e2[k] += d * d;
                r2[k] += x * x;
                m[k] = std::max(m[k], std::fabs(d));
            }
        for (int k = 0; k < 8; ++k) {
            r.e2 += e2[k];
            r.r2 += r2[k];
            r.maxAbs = std::max(r.maxAbs, double(m[k]));
        }
    }
    for (; c < cols; ++c) {
        const double x = src[c], d = x - back[c];
        r.e2 += d * d;
        r.r2 += x * x;
        r.maxAbs = std::max(r.maxAbs, std::fabs(d));
    }
    return r;
}

ErrorStats combineRowErrors(const std::vector<RowError>& rows, int64_t elements) {
    ErrorStats r;
    double e2 = 0, r2 = 0, m = 0;
    for (const RowError& e : rows) {
        e2 += e.e2;
        r2 += e.r2;
        m = std::max(m, e.maxAbs);
    }
    r.rmse = std::sqrt(e2 / double(elements));
    r.maxAbsError = m;
    r.relFrobenius = r2 > 0 ? std::sqrt(e2 / r2) : 0;
    r.snrDb = e2 > 0 ? 10.0 * std::log10(r2 / e2) : std::numeric_limits<double>::infinity();
    return r;
}

ErrorStats errorOfBytes(const float* src, int64_t rows, int64_t cols, const std::vector<uint8_t>& bytes, GgmlType type,
                        const std::vector<float>* rowScales, ThreadPool& pool) {
    std::vector<RowError> errors(static_cast<size_t>(rows));
    const size_t stride = rowBytes(type, cols);
    pool.parallelFor(rows, [&](int64_t b, int64_t e) {
        std::vector<float> back(static_cast<size_t>(cols));
        for (int64_t row = b; row < e; ++row) {
            dequantizeRow(type, bytes.data() + size_t(row) * stride, back.data(), cols);
            if (rowScales)
                for (auto& v : back) v *= (*rowScales)[size_t(row)];
            errors[size_t(row)] = rowError(src + row * cols, back.data(), cols);
        }
    });
    return combineRowErrors(errors, rows * cols);
}

} // namespace qb
