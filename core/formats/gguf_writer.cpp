#include "formats/gguf_writer.h"

#include "common/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace qb {

// The file being written, or (default-constructed) just a byte count.
class GgufOut {
public:
    GgufOut() = default; // counts bytes, writes nothing (for fileBytes())
    explicit GgufOut(const std::string& path) : m_path(path) {
        m_f = std::fopen(path.c_str(), "wb");
        if (!m_f) throw fileError(path, std::string("cannot create: ") + std::strerror(errno));
    }
    ~GgufOut() { if (m_f) std::fclose(m_f); }
    void bytes(const void* p, size_t n) {
        if (n && m_f && std::fwrite(p, 1, n, m_f) != n) throw fileError(m_path, std::string("write failed: ") + std::strerror(errno), ErrorKind::Internal);
        m_pos += n;
    }
    template <typename T> void pod(T v) { bytes(&v, sizeof v); }
    void str(const std::string& s) { pod<uint64_t>(s.size()); bytes(s.data(), s.size()); }
    void pad(uint32_t alignment) {
        static const uint8_t zeros[256] = {};
        while (m_pos % alignment) bytes(zeros, std::min<uint64_t>(alignment - m_pos % alignment, sizeof zeros));
    }
    void close() {
        if (std::fflush(m_f) != 0 || std::ferror(m_f))
            throw fileError(m_path, std::string("write failed: ") + std::strerror(errno), ErrorKind::Internal);
        if (std::fclose(m_f) != 0) { m_f = nullptr; throw fileError(m_path, std::string("close failed: ") + std::strerror(errno), ErrorKind::Internal); }
        m_f = nullptr;
    }
    uint64_t pos() const { return m_pos; }

private:
    std::string m_path;
    FILE* m_f = nullptr;
    uint64_t m_pos = 0;
};

namespace {

void writeScalar(GgufOut& o, GgufType t, int64_t i, double f, const std::string& s) {
    switch (t) {
    case GgufType::UInt8: o.pod<uint8_t>(uint8_t(i)); break;
    case GgufType::Int8: o.pod<int8_t>(int8_t(i)); break;
    case GgufType::UInt16: o.pod<uint16_t>(uint16_t(i)); break;
    case GgufType::Int16: o.pod<int16_t>(int16_t(i)); break;
    case GgufType::UInt32: o.pod<uint32_t>(uint32_t(i)); break;
    case GgufType::Int32: o.pod<int32_t>(int32_t(i)); break;
    case GgufType::UInt64: o.pod<uint64_t>(uint64_t(i)); break;
    case GgufType::Int64: o.pod<int64_t>(i); break;
    case GgufType::Float32: o.pod<float>(float(f)); break;
    case GgufType::Float64: o.pod<double>(f); break;
    case GgufType::Bool: o.pod<uint8_t>(i ? 1 : 0); break;
    case GgufType::String: o.str(s); break;
    case GgufType::Array: break;
    }
}

void writeValue(GgufOut& o, const GgufValue& v) {
    if (v.type != GgufType::Array) {
        writeScalar(o, v.type, v.i, v.f, v.s);
        return;
    }
    o.pod<uint32_t>(uint32_t(v.elemType));
    o.pod<uint64_t>(v.arraySize());
    if (v.elemType == GgufType::String) for (const auto& s : v.strings) o.str(s);
    else if (v.elemType == GgufType::Array) for (const auto& a : v.arrays) { writeValue(o, a); }
    else if (ggufTypeIsFloat(v.elemType)) for (double f : v.floats) writeScalar(o, v.elemType, 0, f, {});
    else for (int64_t i : v.ints) writeScalar(o, v.elemType, i, 0, {});
}

} // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
    for (auto& kv : m_kv)
        if (kv.first == key) { kv.second = std::move(value); return; }
    m_kv.emplace_back(key, std::move(value));
}

void GgufWriter::addTensor(GgufTensorOut tensor) { m_tensors.push_back(std::move(tensor)); }

uint64_t GgufWriter::tensorBytes(GgmlType type, const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return rowBytes(type, n);
}

void GgufWriter::writeHeader(GgufOut& o, const std::string& path) const {
    o.bytes("GGUF", 4);
    o.pod<uint32_t>(3);
    o.pod<uint64_t>(m_tensors.size());
    const bool hasAlignmentKey = [&] { for (auto& kv : m_kv) if (kv.first == "general.alignment") return true; return false; }();
    o.pod<uint64_t>(m_kv.size() + ((m_alignment != 32 && !hasAlignmentKey) ? 1 : 0));
    for (const auto& [key, value] : m_kv) {
        o.str(key);
        o.pod<uint32_t>(uint32_t(value.type));
        writeValue(o, value);
    }
    if (m_alignment != 32 && !hasAlignmentKey) {
        o.str("general.alignment");
        o.pod<uint32_t>(uint32_t(GgufType::UInt32));
        o.pod<uint32_t>(m_alignment);
    }
    uint64_t offset = 0;
    for (const auto& t : m_tensors) {
        if (t.shape.empty() || t.shape[0] % traits(t.type).blockElements != 0)
            throw Error(path + ": tensor '" + t.name + "': row length " + std::to_string(t.shape[0]) +
                        " is not a multiple of the " + typeName(t.type) + " block size");
        o.str(t.name);
        o.pod<uint32_t>(uint32_t(t.shape.size()));
        for (int64_t d : t.shape) o.pod<uint64_t>(uint64_t(d));
        o.pod<uint32_t>(uint32_t(t.type));
        o.pod<uint64_t>(offset);
        offset += (tensorBytes(t.type, t.shape) + m_alignment - 1) / m_alignment * m_alignment;
    }
}

uint64_t GgufWriter::fileBytes() const {
    GgufOut o;
    writeHeader(o, "(planned file)");
    o.pad(m_alignment);
    uint64_t bytes = o.pos();
    for (const auto& t : m_tensors) bytes += (tensorBytes(t.type, t.shape) + m_alignment - 1) / m_alignment * m_alignment;
    return bytes;
}

void GgufWriter::write(const std::string& path, const std::function<bool()>& cancelled,
                       const std::function<void(size_t, size_t)>& progress) const {
    const std::string tmp = path + ".part";
    try {
        GgufOut o(tmp);
        writeHeader(o, path);
        o.pad(m_alignment);
        for (size_t k = 0; k < m_tensors.size(); ++k) {
            if (cancelled && cancelled()) throw Error(path + ": cancelled", ErrorKind::Cancelled);
            const auto& t = m_tensors[k];
            const std::vector<uint8_t> data = t.produce();
            if (data.size() != tensorBytes(t.type, t.shape))
                throw Error(path + ": tensor '" + t.name + "': produced " + std::to_string(data.size()) + " bytes, expected " +
                                std::to_string(tensorBytes(t.type, t.shape)),
                            ErrorKind::Internal);
            o.bytes(data.data(), data.size());
            o.pad(m_alignment);
            if (progress) progress(k + 1, m_tensors.size());
        }
        o.close();
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
            throw fileError(path, std::string("cannot rename the finished file into place: ") + std::strerror(errno), ErrorKind::Internal);
    } catch (...) {
        std::remove(tmp.c_str());
        throw;
    }
}

} // namespace qb
