#include "formats/gguf_value.h"

namespace qb {

const char* ggufTypeName(GgufType t) {
    switch (t) {
    case GgufType::UInt8: return "UINT8";
    case GgufType::Int8: return "INT8";
    case GgufType::UInt16: return "UINT16";
    case GgufType::Int16: return "INT16";
    case GgufType::UInt32: return "UINT32";
    case GgufType::Int32: return "INT32";
    case GgufType::Float32: return "FLOAT32";
    case GgufType::Bool: return "BOOL";
    case GgufType::String: return "STRING";
    case GgufType::Array: return "ARRAY";
    case GgufType::UInt64: return "UINT64";
    case GgufType::Int64: return "INT64";
    case GgufType::Float64: return "FLOAT64";
    }
    return "UNKNOWN";
}

bool ggufTypeIsInteger(GgufType t) {
    switch (t) {
    case GgufType::UInt8: case GgufType::Int8: case GgufType::UInt16: case GgufType::Int16:
    case GgufType::UInt32: case GgufType::Int32: case GgufType::UInt64: case GgufType::Int64:
        return true;
    default: return false;
    }
}

bool ggufTypeIsFloat(GgufType t) { return t == GgufType::Float32 || t == GgufType::Float64; }

GgufValue GgufValue::stringArray(std::vector<std::string> v) {
    GgufValue x;
    x.type = GgufType::Array;
    x.elemType = GgufType::String;
    x.strings = std::move(v);
    return x;
}

GgufValue GgufValue::floatArray(GgufType elem, std::vector<double> v) {
    GgufValue x;
    x.type = GgufType::Array;
    x.elemType = elem;
    x.floats = std::move(v);
    return x;
}

GgufValue GgufValue::intArray(GgufType elem, std::vector<int64_t> v) {
    GgufValue x;
    x.type = GgufType::Array;
    x.elemType = elem;
    x.ints = std::move(v);
    return x;
}

size_t GgufValue::arraySize() const {
    if (type != GgufType::Array) return 0;
    if (elemType == GgufType::String) return strings.size();
    if (elemType == GgufType::Array) return arrays.size();
    if (ggufTypeIsFloat(elemType)) return floats.size();
    return ints.size();
}

std::string GgufValue::typeDescription() const {
    if (type != GgufType::Array) return ggufTypeName(type);
    return std::string("ARRAY of ") + ggufTypeName(elemType);
}

} // namespace qb
