#include "formats/gguf_reader.h"

#include "common/checked.h"
#include "common/error.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

namespace qb {

namespace {

constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;

// The name of what is being read, put into words only when a read fails
// (building it for every successful read made parsing allocation-bound).
struct Field {
    Field(const std::string& base) : base(base) {}
    Field(const char* base) : base(base) {}
    Field(std::string_view base, const char* detail, int64_t index = -1) : base(base), detail(detail), index(index) {}
    std::string str() const {
        std::string s(base);
        if (index >= 0) s += std::to_string(index);
        if (detail) s += std::string(" (") + detail + ")";
        return s;
    }
    std::string_view base;
    const char* detail = nullptr;
    int64_t index = -1;
};

// A bounds-checked cursor over the mapping. Every read names the field.
class Cursor {
public:
    Cursor(const std::string& path, const uint8_t* data, uint64_t size) : m_path(path), m_data(data), m_size(size) {}

    uint64_t pos() const { return m_pos; }
    uint64_t remaining() const { return m_size - m_pos; }

    void need(uint64_t n, const Field& field) const {
        if (n > remaining())
            throw fileError(m_path, field.str() + ": truncated: needs " + std::to_string(n) + " bytes at offset " +
                                        std::to_string(m_pos) + ", only " + std::to_string(remaining()) + " left");
    }
    template <typename T> T read(const Field& field) {
        need(sizeof(T), field);
        T v;
        std::memcpy(&v, m_data + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }
    std::string readString(const Field& field) {
        if (sizeof(uint64_t) > remaining()) need(sizeof(uint64_t), Field(field.str(), "string length"));
        const uint64_t len = read<uint64_t>(field);
        if (len > remaining())
            throw fileError(m_path, field.str() + ": string length " + std::to_string(len) + " runs past the end of the file (" +
                                        std::to_string(remaining()) + " bytes left)");
        std::string s(reinterpret_cast<const char*>(m_data + m_pos), size_t(len));
        m_pos += len;
        return s;
    }

private:
    const std::string& m_path;
    const uint8_t* m_data;
    uint64_t m_size;
    uint64_t m_pos = 0;
};

// Smallest encoded size of one element of `t` (strings: the 8-byte length).
uint64_t minEncodedSize(GgufType t) {
    switch (t) {
    case GgufType::UInt8: case GgufType::Int8: case GgufType::Bool: return 1;
    case GgufType::UInt16: case GgufType::Int16: return 2;
    case GgufType::UInt32: case GgufType::Int32: case GgufType::Float32: return 4;
    case GgufType::UInt64: case GgufType::Int64: case GgufType::Float64: case GgufType::String: return 8;
    case GgufType::Array: return 12;
    }
    return 1;
}

bool validValueType(uint32_t t) { return t <= uint32_t(GgufType::Float64); }

void readScalar(Cursor& c, GgufType t, GgufValue& v, const std::string& field) {
    switch (t) {
    case GgufType::UInt8: v.i = c.read<uint8_t>(field); break;
    case GgufType::Int8: v.i = c.read<int8_t>(field); break;
    case GgufType::UInt16: v.i = c.read<uint16_t>(field); break;
    case GgufType::Int16: v.i = c.read<int16_t>(field); break;
    case GgufType::UInt32: v.i = c.read<uint32_t>(field); break;
    case GgufType::Int32: v.i = c.read<int32_t>(field); break;
    case GgufType::UInt64: v.i = int64_t(c.read<uint64_t>(field)); break;
    case GgufType::Int64: v.i = c.read<int64_t>(field); break;
    case GgufType::Float32: v.f = c.read<float>(field); break;
    case GgufType::Float64: v.f = c.read<double>(field); break;
    case GgufType::Bool: v.i = c.read<uint8_t>(field) ? 1 : 0; break;
    case GgufType::String: v.s = c.readString(field); break;
    case GgufType::Array: break;
    }
}

GgufValue readValue(Cursor& c, const std::string& path, GgufType t, const std::string& field, int depth) {
    GgufValue v;
    v.type = t;
    if (t != GgufType::Array) {
        readScalar(c, t, v, field);
        return v;
    }
    if (depth > kMaxArrayDepth) throw fileError(path, field + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    const uint32_t et = c.read<uint32_t>(Field(field, "array element type"));
    if (!validValueType(et))
        throw fileError(path, field + ": unknown array element type " + std::to_string(et) + ", expected 0..12");
    v.elemType = GgufType(et);
    const uint64_t n = c.read<uint64_t>(Field(field, "array length"));
    if (n > c.remaining() / minEncodedSize(v.elemType))
        throw fileError(path, field + ": array of " + std::to_string(n) + " " + ggufTypeName(v.elemType) +
                                  " elements cannot fit in the " + std::to_string(c.remaining()) + " bytes left");
    GgufValue elem;
    for (uint64_t k = 0; k < n; ++k) {
        if (v.elemType == GgufType::Array) {
            v.arrays.push_back(readValue(c, path, GgufType::Array, field + "[" + std::to_string(k) + "]", depth + 1));
            continue;
        }
        readScalar(c, v.elemType, elem, field);
        if (v.elemType == GgufType::String) v.strings.push_back(std::move(elem.s));
        else if (ggufTypeIsFloat(v.elemType)) v.floats.push_back(elem.f);
        else v.ints.push_back(elem.i);
    }
    return v;
}

} // namespace

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) { return fromMapping(MappedFile::open(path)); }

std::shared_ptr<GgufFile> GgufFile::fromMapping(std::shared_ptr<MappedFile> file) {
    std::shared_ptr<GgufFile> g(new GgufFile());
    g->m_file = std::move(file);
    g->parse();
    return g;
}

void GgufFile::parse() {
    const std::string& p = m_file->path();
    Cursor c(p, m_file->data(), m_file->size());
    c.need(4, "header (magic)");
    if (std::memcmp(m_file->data(), "GGUF", 4) != 0) throw fileError(p, "not a GGUF file: magic is not 'GGUF'");
    c.read<uint32_t>("magic");
    m_version = c.read<uint32_t>("header (version)");
    if (m_version != 2 && m_version != 3)
        throw fileError(p, "GGUF version " + std::to_string(m_version) + " is not supported, expected 2 or 3");
    const uint64_t nTensors = c.read<uint64_t>("header (n_tensors)");
    const uint64_t nKv = c.read<uint64_t>("header (n_kv)");
    // Each key/value takes at least 8 (key length) + 4 (type) + 1 bytes; each
    // tensor info at least 8 + 4 + 8 + 4 + 8. Check before reserving anything.
    if (nKv > c.remaining() / 13)
        throw fileError(p, "header: n_kv = " + std::to_string(nKv) + " cannot fit in a file of " +
                               std::to_string(m_file->size()) + " bytes");
    if (nTensors > c.remaining() / 32)
        throw fileError(p, "header: n_tensors = " + std::to_string(nTensors) + " cannot fit in a file of " +
                               std::to_string(m_file->size()) + " bytes");

    for (uint64_t k = 0; k < nKv; ++k) {
        const std::string key = c.readString(Field("metadata key #", nullptr, int64_t(k)));
        const std::string field = "metadata '" + key + "'";
        const uint32_t t = c.read<uint32_t>(Field(field, "value type"));
        if (!validValueType(t)) throw fileError(p, field + ": unknown value type " + std::to_string(t) + ", expected 0..12");
        GgufValue v = readValue(c, p, GgufType(t), field, 0);
        if (m_kvIndex.count(key)) throw fileError(p, field + ": key appears twice");
        m_kvIndex[key] = m_kv.size();
        m_kv.emplace_back(key, std::move(v));
    }

    if (const GgufValue* a = find("general.alignment")) {
        if (a->type != GgufType::UInt32)
            throw fileError(p, "metadata 'general.alignment': expected UINT32, got " + a->typeDescription());
        const uint64_t al = uint64_t(a->i);
        if (al == 0 || (al & (al - 1)) != 0)
            throw fileError(p, "metadata 'general.alignment': expected a non-zero power of two, got " + std::to_string(al));
        m_alignment = uint32_t(al);
    }

    m_tensors.reserve(size_t(nTensors));
    for (uint64_t k = 0; k < nTensors; ++k) {
        GgufTensorInfo ti;
        ti.name = c.readString(Field("tensor info #", "name", int64_t(k)));
        const std::string field = "tensor '" + ti.name + "'";
        const uint32_t nDims = c.read<uint32_t>(Field(field, "n_dims"));
        if (nDims == 0 || nDims > kMaxDims)
            throw fileError(p, field + ": n_dims = " + std::to_string(nDims) + ", expected 1.." + std::to_string(kMaxDims));
        std::vector<uint64_t> dims;
        for (uint32_t d = 0; d < nDims; ++d) dims.push_back(c.read<uint64_t>(Field(field, "dims")));
        const uint64_t elements = checkedElements(dims, p + ": " + field + ": dims");
        for (uint64_t d : dims) ti.shape.push_back(int64_t(d));
        ti.elements = int64_t(elements);
        const uint32_t typeId = c.read<uint32_t>(Field(field, "type"));
        const auto tt = typeTraits(typeId);
        if (!tt) throw fileError(p, field + ": unknown or unsupported tensor type id " + std::to_string(typeId));
        ti.type = tt->type;
        if (ti.shape[0] % tt->blockElements != 0)
            throw fileError(p, field + ": row length " + std::to_string(ti.shape[0]) + " is not a multiple of the " +
                                   tt->name + " block size " + std::to_string(tt->blockElements));
        ti.bytes = checkedMul(elements / uint64_t(tt->blockElements), uint64_t(tt->blockBytes), p + ": " + field + ": size");
        ti.offset = c.read<uint64_t>(Field(field, "offset"));
        if (ti.offset % m_alignment != 0)
            throw fileError(p, field + ": offset " + std::to_string(ti.offset) + " is not a multiple of the alignment " +
                                   std::to_string(m_alignment));
        if (m_tensorIndex.count(ti.name)) throw fileError(p, field + ": name appears twice");
        m_tensorIndex[ti.name] = m_tensors.size();
        m_tensors.push_back(std::move(ti));
    }

    const uint64_t pos = c.pos();
    m_dataOffset = checkedAdd(pos, m_alignment - 1, p + ": data section offset") / m_alignment * m_alignment;
    const uint64_t fileSize = m_file->size();
    if (!m_tensors.empty() && m_dataOffset > fileSize)
        throw fileError(p, "data section: starts at offset " + std::to_string(m_dataOffset) + " past the end of the file (" +
                               std::to_string(fileSize) + " bytes)");
    const uint64_t dataBytes = fileSize > m_dataOffset ? fileSize - m_dataOffset : 0;
    for (auto& ti : m_tensors) {
        if (ti.offset > dataBytes || ti.bytes > dataBytes - ti.offset)
            throw fileError(p, "tensor '" + ti.name + "': data [" + std::to_string(ti.offset) + ", +" + std::to_string(ti.bytes) +
                                   ") runs past the end of the data section (" + std::to_string(dataBytes) + " bytes)");
        ti.data = m_file->data() + m_dataOffset + ti.offset;
    }
    // Overlap check: sort by offset, each must end before the next begins.
    std::vector<const GgufTensorInfo*> byOffset;
    for (const auto& ti : m_tensors) byOffset.push_back(&ti);
    std::sort(byOffset.begin(), byOffset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t k = 1; k < byOffset.size(); ++k) {
        const auto* prev = byOffset[k - 1];
        const auto* cur = byOffset[k];
        if (prev->bytes > 0 && cur->bytes > 0 && prev->offset + prev->bytes > cur->offset)
            throw fileError(p, "tensor '" + cur->name + "': data at offset " + std::to_string(cur->offset) +
                                   " overlaps tensor '" + prev->name + "' [" + std::to_string(prev->offset) + ", " +
                                   std::to_string(prev->offset + prev->bytes) + ")");
    }
}

const GgufValue* GgufFile::find(const std::string& key) const {
    auto it = m_kvIndex.find(key);
    return it == m_kvIndex.end() ? nullptr : &m_kv[it->second].second;
}

const GgufValue& GgufFile::require(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v) throw fileError(path(), "metadata '" + key + "': missing");
    return *v;
}

std::string GgufFile::getString(const std::string& key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufType::String) throw Error(where(key) + ": expected STRING, got " + v.typeDescription());
    return v.s;
}

std::string GgufFile::getString(const std::string& key, const std::string& fallback) const {
    return has(key) ? getString(key) : fallback;
}

int64_t GgufFile::getInt(const std::string& key) const {
    const GgufValue& v = require(key);
    if (!ggufTypeIsInteger(v.type)) throw Error(where(key) + ": expected an integer, got " + v.typeDescription());
    return v.i;
}

int64_t GgufFile::getInt(const std::string& key, int64_t fallback) const { return has(key) ? getInt(key) : fallback; }

double GgufFile::getFloat(const std::string& key, double fallback) const {
    const GgufValue* v = find(key);
    if (!v) return fallback;
    if (ggufTypeIsFloat(v->type)) return v->f;
    if (ggufTypeIsInteger(v->type)) return double(v->i);
    throw Error(where(key) + ": expected a number, got " + v->typeDescription());
}

bool GgufFile::getBool(const std::string& key, bool fallback) const {
    const GgufValue* v = find(key);
    if (!v) return fallback;
    if (v->type != GgufType::Bool) throw Error(where(key) + ": expected BOOL, got " + v->typeDescription());
    return v->i != 0;
}

const std::vector<std::string>& GgufFile::getStringArray(const std::string& key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufType::Array || v.elemType != GgufType::String)
        throw Error(where(key) + ": expected ARRAY of STRING, got " + v.typeDescription());
    return v.strings;
}

std::vector<float> GgufFile::getFloatArray(const std::string& key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufType::Array || v.elemType != GgufType::Float32)
        throw Error(where(key) + ": expected ARRAY of FLOAT32, got " + v.typeDescription());
    return std::vector<float>(v.floats.begin(), v.floats.end());
}

std::vector<int64_t> GgufFile::getIntArray(const std::string& key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufType::Array || !ggufTypeIsInteger(v.elemType))
        throw Error(where(key) + ": expected ARRAY of integers, got " + v.typeDescription());
    return v.ints;
}

const GgufTensorInfo* GgufFile::findTensor(const std::string& name) const {
    auto it = m_tensorIndex.find(name);
    return it == m_tensorIndex.end() ? nullptr : &m_tensors[it->second];
}

} // namespace qb
