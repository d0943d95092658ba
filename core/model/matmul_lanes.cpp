#include "model/matmul_lanes.h"

#include "common/kernel_clones.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace qb {

namespace {

constexpr int kTileRows = 16;
typedef float Lanes8 __attribute__((vector_size(32)));

// tile: cols x 16 (row lanes), y rows r0 .. r0+valid-1 for every token.
QB_KERNEL_CLONES
void tileTimesTokens(const float* tile, int64_t cols, const float* x, int n, float* y, int64_t rows, int64_t r0, int valid) {
    float out[4][kTileRows];
    int t = 0;
    while (t < n) {
        const int tokens = std::min(4, n - t);
        Lanes8 acc[4][2] = {};
        const float* xs[4];
        for (int k = 0; k < 4; ++k) xs[k] = x + int64_t(t + std::min(k, tokens - 1)) * cols;
        for (int64_t c = 0; c < cols; ++c) {
            Lanes8 lo, hi;
            std::memcpy(&lo, tile + c * kTileRows, sizeof lo);
            std::memcpy(&hi, tile + c * kTileRows + 8, sizeof hi);
            for (int k = 0; k < 4; ++k) {
                const float v = xs[k][c];
                acc[k][0] += lo * v;
                acc[k][1] += hi * v;
            }
        }
        for (int k = 0; k < tokens; ++k) {
            std::memcpy(out[k], &acc[k][0], sizeof acc[k][0]);
            std::memcpy(out[k] + 8, &acc[k][1], sizeof acc[k][1]);
            std::copy_n(out[k], valid, y + int64_t(t + k) * rows + r0);
        }
        t += tokens;
    }
}

} // namespace

void matmulSideBySide(const Tensor& w, const float* x, int n, float* y, ThreadPool& pool) {
    const int64_t rows = w.rows(), cols = w.cols();
    const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
    pool.parallelFor(tiles, [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(cols)), tile(static_cast<size_t>(cols * kTileRows));
        for (int64_t tIndex = begin; tIndex < end; ++tIndex) {
            const int64_t r0 = tIndex * kTileRows;
            const int valid = int(std::min<int64_t>(kTileRows, rows - r0));
            if (valid < kTileRows) std::fill(tile.begin(), tile.end(), 0.0f);
            for (int lane = 0; lane < valid; ++lane) {
                w.dequantizeRowTo(r0 + lane, row.data());
                for (int64_t c = 0; c < cols; ++c) tile[size_t(c * kTileRows + lane)] = row[size_t(c)];
            }
            tileTimesTokens(tile.data(), cols, x, n, y, rows, r0, valid);
        }
    });
}

} // namespace qb
