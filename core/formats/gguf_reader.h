#pragma once
// GGUF v2/v3 reader over a memory map. Every count, length and offset is
// checked against the file size before it is used, so a stranger's file gives
// a qb::Error naming the file and the field, never a crash or a huge allocation.
#include "common/mapped_file.h"
#include "formats/gguf_value.h"
#include "quant/ggml_type.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qb {

struct GgufTensorInfo {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<int64_t> shape; // ggml order: shape[0] is the row length
    uint64_t offset = 0;        // relative to the data section
    uint64_t bytes = 0;
    int64_t elements = 0;
    const uint8_t* data = nullptr; // into the mapping
};

class GgufFile {
public:
    static std::shared_ptr<GgufFile> open(const std::string& path);
    static std::shared_ptr<GgufFile> fromMapping(std::shared_ptr<MappedFile> file);

    const std::string& path() const { return m_file->path(); }
    uint32_t version() const { return m_version; }
    uint64_t fileBytes() const { return m_file->size(); }
    uint32_t alignment() const { return m_alignment; }
    uint64_t dataOffset() const { return m_dataOffset; }
    const std::shared_ptr<MappedFile>& mapping() const { return m_file; }

    // Metadata in file order.
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return m_kv; }
    const GgufValue* find(const std::string& key) const;
    bool has(const std::string& key) const { return find(key) != nullptr; }

    // Typed accessors: throw "<file>: metadata '<key>': expected <what>, got <type>".
    std::string getString(const std::string& key) const;
    std::string getString(const std::string& key, const std::string& fallback) const;
    int64_t getInt(const std::string& key) const;
    int64_t getInt(const std::string& key, int64_t fallback) const;
    double getFloat(const std::string& key, double fallback) const;
    bool getBool(const std::string& key, bool fallback) const;
    const std::vector<std::string>& getStringArray(const std::string& key) const;
    std::vector<float> getFloatArray(const std::string& key) const;   // FLOAT32 elements only
    std::vector<int64_t> getIntArray(const std::string& key) const;   // integer elements only

    const std::vector<GgufTensorInfo>& tensors() const { return m_tensors; }
    const GgufTensorInfo* findTensor(const std::string& name) const;

    std::string where(const std::string& key) const { return path() + ": metadata '" + key + "'"; }

private:
    GgufFile() = default;
    void parse();
    const GgufValue& require(const std::string& key) const;

    std::shared_ptr<MappedFile> m_file;
    uint32_t m_version = 0;
    uint32_t m_alignment = 32;
    uint64_t m_dataOffset = 0;
    std::vector<std::pair<std::string, GgufValue>> m_kv;
    std::map<std::string, size_t> m_kvIndex;
    std::vector<GgufTensorInfo> m_tensors;
    std::map<std::string, size_t> m_tensorIndex;
};

} // namespace qb
