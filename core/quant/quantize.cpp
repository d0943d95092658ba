#include "quant/quantize.h"

#include "common/error.h"
#include "common/half.h"
#include "quant/quant_blocks.h"

#include "quant/fp8.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb {

float quantizeRowPerChannel(GgmlType type, const float* x, uint8_t* y, int64_t n) {
    float amax = 0;
    for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    if (type == GgmlType::QB_I8_CH) {
        const float s = amax / 127.0f;
        for (int64_t i = 0; i < n; ++i) y[i] = uint8_t(int8_t(s > 0 ? std::nearbyint(x[i] / s) : 0.0f));
        return s;
    }
    if (type == GgmlType::QB_F8_E4M3_CH) {
        const float s = amax / kFp8E4M3Max;
        for (int64_t i = 0; i < n; ++i) y[i] = floatToFp8E4M3(s > 0 ? x[i] / s : 0.0f);
        return s;
    }
    throw Error("internal: " + typeName(type) + " is not a per-channel type", ErrorKind::Internal);
}

bool typeUsesImportance(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1:
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
        return true;
    default: return false;
    }
}

void quantizeRow(GgmlType type, const float* x, void* dstVoid, int64_t n, const float* importance) {
    auto* y = static_cast<uint8_t*>(dstVoid);
    const TypeTraits& t = traits(type);
    if (n % t.blockElements != 0)
        throw Error("quantize: a row of " + std::to_string(n) + " values is not a multiple of the " + t.name + " block size " +
                    std::to_string(t.blockElements));
    switch (type) {
    case GgmlType::F32: std::memcpy(y, x, size_t(n) * 4); return;
    case GgmlType::F16:
        for (int64_t i = 0; i < n; ++i) { const uint16_t h = floatToHalf(x[i]); std::memcpy(y + 2 * i, &h, 2); }
        return;
    case GgmlType::BF16:
        for (int64_t i = 0; i < n; ++i) { const uint16_t h = floatToBf16(x[i]); std::memcpy(y + 2 * i, &h, 2); }
        return;
    case GgmlType::Q8_0: return quant::quantizeQ8_0(x, y, n);
    case GgmlType::Q4_0: return quant::quantizeQ4_0(x, y, n, importance);
    case GgmlType::Q4_1: return quant::quantizeQ4_1(x, y, n, importance);
    case GgmlType::Q5_0: return quant::quantizeQ5_0(x, y, n, importance);
    case GgmlType::Q5_1: return quant::quantizeQ5_1(x, y, n, importance);
    case GgmlType::Q2_K: return quant::quantizeQ2_K(x, y, n, importance);
    case GgmlType::Q3_K: return quant::quantizeQ3_K(x, y, n, importance);
    case GgmlType::Q4_K: return quant::quantizeQ4_K(x, y, n, importance);
    case GgmlType::Q5_K: return quant::quantizeQ5_K(x, y, n, importance);
    case GgmlType::Q6_K: return quant::quantizeQ6_K(x, y, n, importance);
    case GgmlType::QB_I8_CH:
    case GgmlType::QB_F8_E4M3_CH:
        throw Error("internal: " + typeName(type) + " rows need quantizeRowPerChannel", ErrorKind::Internal);
    }
}

} // namespace qb
