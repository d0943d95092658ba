#include "common/error.h"
#include "formats/safetensors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace qb {

void writeSafetensors(const std::string& path, const std::vector<StTensorOut>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    nlohmann::json h = nlohmann::json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        uint64_t n = 1;
        for (int64_t d : t.shape) n *= uint64_t(d);
        const uint64_t bytes = n * uint64_t(stDtypeBytes(t.dtype));
        h[t.name] = {{"dtype", stDtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string header = h.dump();
    while ((8 + header.size()) % 8) header += ' '; // keep the data 8-byte aligned
    const std::string tmp = path + ".part";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw fileError(path, std::string("cannot create: ") + std::strerror(errno));
    try {
        auto put = [&](const void* p, size_t n) {
            if (n && std::fwrite(p, 1, n, f) != n) throw fileError(path, std::string("write failed: ") + std::strerror(errno), ErrorKind::Internal);
        };
        const uint64_t len = header.size();
        put(&len, 8);
        put(header.data(), header.size());
        for (const auto& t : tensors) {
            const std::vector<uint8_t> data = t.produce();
            put(data.data(), data.size());
        }
        if (std::fclose(f) != 0) { f = nullptr; throw fileError(path, "close failed", ErrorKind::Internal); }
        f = nullptr;
        if (std::rename(tmp.c_str(), path.c_str()) != 0) throw fileError(path, "cannot rename into place", ErrorKind::Internal);
    } catch (...) {
        if (f) std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
}

} // namespace qb
