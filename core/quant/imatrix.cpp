#include "quant/imatrix.h"

#include "common/error.h"
#include "common/mapped_file.h"

#include <cstdio>
#include <cstring>

namespace qb {

const std::vector<float>* ImportanceMatrix::find(const std::string& tensor) const {
    auto it = values.find(tensor);
    return it == values.end() ? nullptr : &it->second;
}

ImportanceMatrix ImportanceMatrix::fromCalibration(const CalibrationStats& stats, int chunks, const std::string& dataset) {
    ImportanceMatrix m;
    m.chunks = chunks;
    m.dataset = dataset;
    for (const auto& [name, s] : stats) {
        std::vector<float> v(static_cast<size_t>(s.cols));
        for (int64_t c = 0; c < s.cols; ++c) v[size_t(c)] = s.tokens ? float(s.sumSquares[size_t(c)] / double(s.tokens)) : 1.0f;
        m.values[name] = std::move(v);
    }
    return m;
}

// Layout (llama.cpp's legacy imatrix.dat): int32 n_entries; per entry: int32
// name length, name bytes, int32 ncall, int32 nval, float[nval] (mean x^2 times
// ncall); then int32 chunk count and the dataset name (int32 length + bytes).
void ImportanceMatrix::save(const std::string& path) const {
    const std::string tmp = path + ".part";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw fileError(path, "cannot create");
    bool ok = true;
    auto put = [&](const void* p, size_t n) { ok = ok && std::fwrite(p, 1, n, f) == n; };
    auto putI = [&](int32_t v) { put(&v, 4); };
    putI(int32_t(values.size()));
    const int32_t ncall = std::max(1, chunks);
    for (const auto& [name, v] : values) {
        putI(int32_t(name.size()));
        put(name.data(), name.size());
        putI(ncall);
        putI(int32_t(v.size()));
        for (float x : v) {
            const float scaled = x * float(ncall);
            put(&scaled, 4);
        }
    }
    putI(int32_t(chunks));
    putI(int32_t(dataset.size()));
    put(dataset.data(), dataset.size());
    ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw fileError(path, "write failed", ErrorKind::Internal);
    }
}

ImportanceMatrix ImportanceMatrix::load(const std::string& path) {
    auto file = MappedFile::open(path);
    const uint8_t* p = file->data();
    const uint64_t size = file->size();
    uint64_t pos = 0;
    auto getI = [&](const std::string& field) {
        if (size - pos < 4) throw fileError(path, field + ": truncated at offset " + std::to_string(pos));
        int32_t v;
        std::memcpy(&v, p + pos, 4);
        pos += 4;
        return v;
    };
    ImportanceMatrix m;
    const int32_t n = getI("n_entries");
    if (n < 0 || uint64_t(n) > size / 12) throw fileError(path, "n_entries = " + std::to_string(n) + " does not fit the file");
    for (int32_t e = 0; e < n; ++e) {
        const std::string field = "entry " + std::to_string(e);
        const int32_t len = getI(field + " (name length)");
        if (len <= 0 || uint64_t(len) > size - pos) throw fileError(path, field + ": name length " + std::to_string(len) + " out of range");
        std::string name(reinterpret_cast<const char*>(p + pos), size_t(len));
        pos += uint64_t(len);
        const int32_t ncall = getI(field + " (ncall)");
        const int32_t nval = getI(field + " (nval)");
        if (nval < 0 || uint64_t(nval) * 4 > size - pos)
            throw fileError(path, "entry '" + name + "': " + std::to_string(nval) + " values run past the end of the file");
        std::vector<float> v(static_cast<size_t>(nval));
        std::memcpy(v.data(), p + pos, size_t(nval) * 4);
        pos += uint64_t(nval) * 4;
        if (ncall > 0)
            for (float& x : v) x /= float(ncall);
        m.values[name] = std::move(v);
    }
    if (size - pos >= 4) m.chunks = getI("chunk count");
    if (size - pos >= 4) {
        const int32_t len = getI("dataset name length");
        if (len > 0 && uint64_t(len) <= size - pos) m.dataset.assign(reinterpret_cast<const char*>(p + pos), size_t(len));
    }
    return m;
}

} // namespace qb
