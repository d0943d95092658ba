#pragma once
// Quantization of F32 rows into every GGUF block type we write, bit-exact
// with llama.cpp's reference quantizers (ggml-quants.c). `importance` is an
// optional per-column weight (an imatrix row, n values); with it, the types
// that support it use llama.cpp's importance-weighted searches.
#include "quant/ggml_type.h"

#include <cstdint>

namespace qb {

// Quantizes `n` values (a multiple of the block size) into `dst`.
void quantizeRow(GgmlType type, const float* src, void* dst, int64_t n, const float* importance = nullptr);

// Per-channel types (QB_I8_CH, QB_F8_E4M3_CH): one row, returns its scale
// (max|x| / 127 or / 448); dequantized value = stored value * scale.
float quantizeRowPerChannel(GgmlType type, const float* src, uint8_t* dst, int64_t n);

// True when the type's quantizer uses an importance matrix.
bool typeUsesImportance(GgmlType type);

} // namespace qb
