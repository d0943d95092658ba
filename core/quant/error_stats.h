#pragma once
// How far stored values are from what was quantized, as the quantize report
// gives it per tensor, and a tensor a calibrated method quantized itself
// (GPTQ, AWQ) for the quantizer to write as it is.
#include "common/thread_pool.h"
#include "quant/ggml_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qb {

// One row's share: sum of squared errors, of squared source values, and the largest absolute error.
struct RowError {
    double e2 = 0, r2 = 0, maxAbs = 0;
};
RowError rowError(const float* src, const float* back, int64_t cols);

struct ErrorStats {
    double rmse = 0, maxAbsError = 0, snrDb = 0, relFrobenius = 0;
};
ErrorStats combineRowErrors(const std::vector<RowError>& rows, int64_t elements);

// src (rows x cols F32) against `bytes` in `type`, each row times rowScales[row] when given.
ErrorStats errorOfBytes(const float* src, int64_t rows, int64_t cols, const std::vector<uint8_t>& bytes, GgmlType type,
                        const std::vector<float>* rowScales, ThreadPool& pool);

struct PreQuantized {
    std::vector<uint8_t> bytes; // the file tensor in its planned type
    std::string method;         // for the report: "gptq g128", "awq+rtn"
    ErrorStats error;           // against the weights the method quantized (AWQ: the scaled ones)
};

} // namespace qb
