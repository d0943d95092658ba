#pragma once
// One GGUF metadata value, typed as the file typed it, so that a reader can
// check the type it expects and a writer can write it back unchanged.
#include <cstdint>
#include <string>
#include <vector>

namespace qb {

// serialized: GGUF value type ids, never renumber.
enum class GgufType : uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5,
    Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};
const char* ggufTypeName(GgufType t);
bool ggufTypeIsInteger(GgufType t);
bool ggufTypeIsFloat(GgufType t);

struct GgufValue {
    GgufType type = GgufType::UInt32;
    // Scalars: integers in `i` (unsigned 64-bit values keep their bit pattern),
    // floats in `f`, bools as 0/1 in `i`, strings in `s`.
    int64_t i = 0;
    double f = 0;
    std::string s;
    // Arrays: element type, then exactly one of these holds the elements.
    GgufType elemType = GgufType::UInt8;
    std::vector<int64_t> ints;          // integer and bool elements
    std::vector<double> floats;         // float elements
    std::vector<std::string> strings;   // string elements
    std::vector<GgufValue> arrays;      // nested arrays

    static GgufValue u32(uint32_t v) { GgufValue x; x.type = GgufType::UInt32; x.i = v; return x; }
    static GgufValue i32(int32_t v) { GgufValue x; x.type = GgufType::Int32; x.i = v; return x; }
    static GgufValue u64(uint64_t v) { GgufValue x; x.type = GgufType::UInt64; x.i = int64_t(v); return x; }
    static GgufValue f32(float v) { GgufValue x; x.type = GgufType::Float32; x.f = v; return x; }
    static GgufValue boolean(bool v) { GgufValue x; x.type = GgufType::Bool; x.i = v ? 1 : 0; return x; }
    static GgufValue str(std::string v) { GgufValue x; x.type = GgufType::String; x.s = std::move(v); return x; }
    static GgufValue stringArray(std::vector<std::string> v);
    static GgufValue floatArray(GgufType elem, std::vector<double> v);
    static GgufValue intArray(GgufType elem, std::vector<int64_t> v);

    size_t arraySize() const;
    std::string typeDescription() const; // "UINT32" or "ARRAY of FLOAT32"
};

} // namespace qb
