#pragma once
// GGUF v3 writer: metadata, then tensor infos, then aligned tensor data.
// Written to "<path>.part" and renamed into place only when complete, so a
// failure or a cancel leaves no partial file under the final name.
#include "formats/gguf_value.h"
#include "quant/ggml_type.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qb {

class GgufOut;

struct GgufTensorOut {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<int64_t> shape; // ggml order
    // Produces the tensor's bytes when the writer reaches it (streaming:
    // only one tensor needs to be in memory at a time).
    std::function<std::vector<uint8_t>()> produce;
};

class GgufWriter {
public:
    explicit GgufWriter(uint32_t alignment = 32) : m_alignment(alignment) {}

    void set(const std::string& key, GgufValue value); // replaces an existing key, keeps order
    void addTensor(GgufTensorOut tensor);

    // Writes the file; `cancelled` is polled between tensors. Throws qb::Error
    // (Cancelled when cancelled); the temporary file is removed on any failure.
    void write(const std::string& path, const std::function<bool()>& cancelled = {},
               const std::function<void(size_t done, size_t total)>& progress = {}) const;

    // The size write() would give the file, without producing any tensor.
    uint64_t fileBytes() const;

    static uint64_t tensorBytes(GgmlType type, const std::vector<int64_t>& shape);

private:
    void writeHeader(GgufOut& out, const std::string& path) const;

    uint32_t m_alignment;
    std::vector<std::pair<std::string, GgufValue>> m_kv;
    std::vector<GgufTensorOut> m_tensors;
};

} // namespace qb
