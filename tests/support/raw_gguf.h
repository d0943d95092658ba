#pragma once
// Byte-level GGUF builder for tests: writes exactly what it is told, valid or
// not, so the malformed-file catalogue is generated, never hand-edited.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qbtest {

class RawGguf {
public:
    std::string bytes;
    void u8(uint8_t v) { bytes.append(reinterpret_cast<const char*>(&v), 1); }
    void u32(uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); }
    void u64(uint64_t v) { bytes.append(reinterpret_cast<const char*>(&v), 8); }
    void f32(float v) { bytes.append(reinterpret_cast<const char*>(&v), 4); }
    void str(const std::string& s) { u64(s.size()); bytes += s; }
    void header(uint32_t version, uint64_t nTensors, uint64_t nKv) { bytes += "GGUF"; u32(version); u64(nTensors); u64(nKv); }
    void kvString(const std::string& k, const std::string& v) { str(k); u32(8); str(v); }
    void kvU32(const std::string& k, uint32_t v) { str(k); u32(4); u32(v); }
    void kvF32(const std::string& k, float v) { str(k); u32(6); f32(v); }
    void kvStrings(const std::string& k, const std::vector<std::string>& v) { str(k); u32(9); u32(8); u64(v.size()); for (auto& s : v) str(s); }
    void kvF32s(const std::string& k, const std::vector<float>& v) { str(k); u32(9); u32(6); u64(v.size()); for (float f : v) f32(f); }
    void kvI32s(const std::string& k, const std::vector<int32_t>& v) { str(k); u32(9); u32(5); u64(v.size()); for (int32_t i : v) u32(uint32_t(i)); }
    void kvU8s(const std::string& k, const std::vector<uint8_t>& v) { str(k); u32(9); u32(0); u64(v.size()); for (uint8_t i : v) u8(i); }
    void tensorInfo(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset) {
        str(name); u32(uint32_t(dims.size())); for (uint64_t d : dims) u64(d); u32(type); u64(offset);
    }
    void pad(size_t alignment) { while (bytes.size() % alignment) bytes += '\0'; }
};

// A tiny but complete Llama model (dim 32, 1 layer, 8 tokens, F32, seeded
// weights) with knobs that break exactly one thing each.
struct TinyModelSpec {
    uint32_t version = 3;
    std::optional<uint64_t> nTensors, nKv;            // header counts as written
    std::optional<std::pair<uint32_t, uint64_t>> alignment; // general.alignment (GGUF type, value)
    bool scoresAsU8 = false;
    std::string byteToken = "<0x0A>";
    std::optional<uint32_t> vocabSizeKv;
    std::optional<std::vector<uint64_t>> qDims;      // dims of blk.0.attn_q.weight
    std::optional<uint32_t> qType;                   // type id of blk.0.attn_q.weight
    std::optional<uint64_t> qOffset;                 // data offset of blk.0.attn_q.weight
    std::optional<uint64_t> archStringLength;        // length field of general.architecture's value
    std::string architecture = "llama";
    uint32_t blockCount = 1;                         // llama.block_count as written
    uint32_t contextLength = 64;                     // llama.context_length as written
    std::optional<uint64_t> tokensClaim;             // length field of tokenizer.ggml.tokens
    uint32_t matrixType = 0;                         // type id of the 2-D tensors (F32; any type with blocks of <= 32)
    std::optional<size_t> truncateTo;                // cut the file to this many bytes
    std::optional<size_t> truncateFromEnd;           // cut this many bytes off the end
};

std::string buildTinyModel(const TinyModelSpec& spec = {});

} // namespace qbtest
