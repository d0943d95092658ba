#include "model/block_dot.h"

#include "common/half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb {

void quantizeQ8Blocks(const float* x, int64_t n, Q8Blocks& out) {
    out.q.resize(size_t(n));
    out.d.resize(size_t(n / 32));
    for (int64_t b = 0; b < n; b += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        out.d[size_t(b / 32)] = halfToFloat(floatToHalf(amax / 127.0f));
        for (int j = 0; j < 32; ++j) out.q[size_t(b + j)] = int8_t(std::nearbyint(x[b + j] * id));
    }
}

bool hasIntegerDot(GgmlType t) { return t == GgmlType::Q4_0 || t == GgmlType::Q8_0; }

float integerDotRow(GgmlType t, const uint8_t* row, int64_t cols, const Q8Blocks& x, int64_t firstBlock) {
    const int64_t nb = cols / 32;
    const int blockBytes = traits(t).blockBytes;
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * blockBytes;
        uint16_t h;
        std::memcpy(&h, blk, 2);
        const int8_t* xq = &x.q[size_t((firstBlock + b) * 32)];
        int sumi = 0;
        if (t == GgmlType::Q4_0) { // byte j: element j in the low nibble, element j + 16 in the high one, both offset by 8
            for (int j = 0; j < 16; ++j) sumi += (int(blk[2 + j] & 15) - 8) * xq[j] + (int(blk[2 + j] >> 4) - 8) * xq[j + 16];
        } else {
            for (int j = 0; j < 32; ++j) sumi += int(int8_t(blk[2 + j])) * xq[j];
        }
        sum += float(sumi) * halfToFloat(h) * x.d[size_t(firstBlock + b)];
    }
    return sum;
}

} // namespace qb
