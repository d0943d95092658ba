#include "common/mapped_file.h"

#include "common/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qb {

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->m_path = path;
    f->m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->m_fd < 0) throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (fstat(f->m_fd, &st) != 0) throw fileError(path, std::string("cannot stat: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw fileError(path, "is a directory, expected a file");
    f->m_size = size_t(st.st_size);
    if (f->m_size == 0) return f; // an empty file maps to nothing; readers report it as truncated
    void* p = mmap(nullptr, f->m_size, PROT_READ, MAP_PRIVATE, f->m_fd, 0);
    if (p == MAP_FAILED) throw fileError(path, std::string("cannot map: ") + std::strerror(errno), ErrorKind::Internal);
    f->m_data = static_cast<const uint8_t*>(p);
    return f;
}

std::shared_ptr<MappedFile> MappedFile::fromBytes(const std::string& name, const uint8_t* data, size_t size) {
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->m_path = name;
    f->m_copy.assign(data, data + size);
    f->m_data = size ? f->m_copy.data() : nullptr;
    f->m_size = size;
    return f;
}

MappedFile::~MappedFile() {
    if (m_data && m_copy.empty()) munmap(const_cast<uint8_t*>(m_data), m_size);
    if (m_fd >= 0) ::close(m_fd);
}

} // namespace qb
