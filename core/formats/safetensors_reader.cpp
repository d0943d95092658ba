#include "common/checked.h"
#include "common/error.h"
#include "formats/safetensors.h"

#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace qb {

namespace {
struct DtypeInfo {
    StDtype d;
    const char* name;
    int bytes;
};
constexpr DtypeInfo kDtypes[] = {
    {StDtype::F32, "F32", 4}, {StDtype::F16, "F16", 2}, {StDtype::BF16, "BF16", 2}, {StDtype::F8_E4M3, "F8_E4M3", 1},
    {StDtype::F64, "F64", 8}, {StDtype::I64, "I64", 8}, {StDtype::I32, "I32", 4},   {StDtype::I16, "I16", 2},
    {StDtype::I8, "I8", 1},   {StDtype::U8, "U8", 1},   {StDtype::Bool, "BOOL", 1},
};
constexpr uint64_t kMaxHeader = 100ull << 20; // the format's own limit is 100 MB
} // namespace

std::optional<StDtype> stDtypeFromName(const std::string& name) {
    for (const auto& d : kDtypes)
        if (name == d.name) return d.d;
    return std::nullopt;
}
const char* stDtypeName(StDtype d) {
    for (const auto& x : kDtypes)
        if (x.d == d) return x.name;
    return "?";
}
int stDtypeBytes(StDtype d) {
    for (const auto& x : kDtypes)
        if (x.d == d) return x.bytes;
    return 1;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) { return fromMapping(MappedFile::open(path)); }

std::shared_ptr<SafetensorsFile> SafetensorsFile::fromMapping(std::shared_ptr<MappedFile> file) {
    auto f = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
    f->m_file = std::move(file);
    f->parse();
    return f;
}

void SafetensorsFile::parse() {
    const std::string& p = m_file->path();
    const uint64_t size = m_file->size();
    if (size < 8) throw fileError(p, "header length: truncated: the file has " + std::to_string(size) + " bytes, needs at least 8");
    uint64_t n;
    std::memcpy(&n, m_file->data(), 8);
    if (n > size - 8)
        throw fileError(p, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size - 8) +
                               " bytes after the length)");
    if (n > kMaxHeader) throw fileError(p, "header length " + std::to_string(n) + " is above the format's 100 MB limit");
    nlohmann::json h;
    try {
        h = nlohmann::json::parse(m_file->data() + 8, m_file->data() + 8 + n);
    } catch (const nlohmann::json::exception& e) {
        throw fileError(p, std::string("header is not valid JSON: ") + e.what());
    }
    if (!h.is_object()) throw fileError(p, "header: expected a JSON object, got " + std::string(h.type_name()));
    const uint64_t dataStart = 8 + n;
    const uint64_t dataBytes = size - dataStart;
    for (auto it = h.begin(); it != h.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object()) throw fileError(p, "header '__metadata__': expected an object of strings");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string()) throw fileError(p, "header '__metadata__." + m.key() + "': expected a string");
                m_metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        const std::string field = "tensor '" + it.key() + "'";
        const auto& e = *it;
        if (!e.is_object()) throw fileError(p, field + ": expected an object with dtype, shape, data_offsets");
        StTensor t;
        t.name = it.key();
        if (!e.contains("dtype") || !e["dtype"].is_string()) throw fileError(p, field + ": 'dtype' missing or not a string");
        const auto dt = stDtypeFromName(e["dtype"].get<std::string>());
        if (!dt) throw fileError(p, field + ": unknown dtype '" + e["dtype"].get<std::string>() + "'");
        t.dtype = *dt;
        if (!e.contains("shape") || !e["shape"].is_array()) throw fileError(p, field + ": 'shape' missing or not an array");
        std::vector<uint64_t> dims;
        for (const auto& d : e["shape"]) {
            if (!d.is_number_unsigned()) throw fileError(p, field + ": 'shape' holds a non-integer or negative entry");
            dims.push_back(d.get<uint64_t>());
        }
        const uint64_t elements = checkedElements(dims, p + ": " + field + ": 'shape'");
        const uint64_t span = checkedMul(elements, uint64_t(stDtypeBytes(t.dtype)), p + ": " + field + ": size");
        for (uint64_t d : dims) t.shape.push_back(int64_t(d));
        if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2 ||
            !e["data_offsets"][0].is_number_unsigned() || !e["data_offsets"][1].is_number_unsigned())
            throw fileError(p, field + ": 'data_offsets' must be [begin, end] with non-negative integers");
        t.begin = e["data_offsets"][0].get<uint64_t>();
        t.end = e["data_offsets"][1].get<uint64_t>();
        if (t.begin > t.end || t.end > dataBytes)
            throw fileError(p, field + ": data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                                   "] out of range, the data section has " + std::to_string(dataBytes) + " bytes");
        if (t.end - t.begin != span)
            throw fileError(p, field + ": data_offsets span " + std::to_string(t.end - t.begin) + " bytes, expected " +
                                   std::to_string(span) + " for its shape and dtype");
        t.data = m_file->data() + dataStart + t.begin;
        m_tensors.push_back(std::move(t));
    }
}

} // namespace qb
