#pragma once
// A read-only memory map of a whole file. The bytes stay valid while the
// object lives; readers hand out pointers into it and never copy tensor data.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qb {

class MappedFile {
public:
    // Throws qb::Error naming the path when it cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::string& path);
    // The same reader interface over a copy of bytes already in memory (the
    // fuzzers: no file system, and ASan sees the exact end of the input).
    static std::shared_ptr<MappedFile> fromBytes(const std::string& name, const uint8_t* data, size_t size);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }
    const std::string& path() const { return m_path; }

private:
    MappedFile() = default;
    std::string m_path;
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
    int m_fd = -1;
    std::vector<uint8_t> m_copy; // fromBytes
};

} // namespace qb
