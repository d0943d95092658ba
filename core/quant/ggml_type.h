#pragma once
// Tensor element types as GGUF stores them. Values are ggml's type ids.
// serialized: never reuse or renumber.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace qb {

enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    BF16 = 30,
    // QuantBench extensions (no ggml id exists; see docs/FORMATS.md). One
    // byte per weight plus a per-output-channel F32 scale stored as the
    // companion tensor "<name>_scale" of shape [rows].
    QB_I8_CH = 1024,       // int8, symmetric per channel (W8A8)
    QB_F8_E4M3_CH = 1025,  // FP8 E4M3 (OCP "fn": bias 7, max 448, no inf)
};

// Types whose rows carry a separate per-row scale tensor.
inline bool hasRowScale(GgmlType t) { return t == GgmlType::QB_I8_CH || t == GgmlType::QB_F8_E4M3_CH; }

struct TypeTraits {
    GgmlType type;
    const char* name;    // as llama.cpp prints it: "Q4_K"
    int blockElements;   // elements per block (1 for plain floats)
    int blockBytes;      // bytes per block
};

// Traits for a known type id; std::nullopt for ids we do not support.
std::optional<TypeTraits> typeTraits(uint32_t id);
const TypeTraits& traits(GgmlType type);
std::string typeName(GgmlType type);
std::optional<GgmlType> typeFromName(const std::string& name); // case-insensitive

// Bytes of one row of `elements` values; the caller checks divisibility first.
inline size_t rowBytes(GgmlType type, int64_t elements) {
    const TypeTraits& t = traits(type);
    return size_t(elements / t.blockElements) * size_t(t.blockBytes);
}

// Dequantize `elements` values (a multiple of the block size) from `src`.
// Per-channel types give the unscaled values; multiply by the row's scale.
void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t elements);

} // namespace qb
