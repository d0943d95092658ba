#pragma once
// HF safetensors: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the tensor bytes. Reader over a memory map, every offset checked;
// writer to a temporary file renamed into place.
#include "common/mapped_file.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qb {

enum class StDtype { F32, F16, BF16, F8_E4M3, F64, I64, I32, I16, I8, U8, Bool };
std::optional<StDtype> stDtypeFromName(const std::string& name);
const char* stDtypeName(StDtype d);
int stDtypeBytes(StDtype d);

struct StTensor {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape; // row-major, as HF writes it: [out, in]
    uint64_t begin = 0, end = 0; // relative to the data section
    const uint8_t* data = nullptr;
    uint64_t bytes() const { return end - begin; }
};

class SafetensorsFile {
public:
    static std::shared_ptr<SafetensorsFile> open(const std::string& path);
    static std::shared_ptr<SafetensorsFile> fromMapping(std::shared_ptr<MappedFile> file);
    const std::string& path() const { return m_file->path(); }
    const std::vector<StTensor>& tensors() const { return m_tensors; }
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::shared_ptr<MappedFile>& mapping() const { return m_file; }

private:
    void parse();
    std::shared_ptr<MappedFile> m_file;
    std::vector<StTensor> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

struct StTensorOut {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape;
    std::function<std::vector<uint8_t>()> produce;
};

void writeSafetensors(const std::string& path, const std::vector<StTensorOut>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

} // namespace qb
