#pragma once
// Arithmetic on numbers read from a file. Every product, sum, negation and
// narrowing of a size, count or offset that came from untrusted bytes goes
// through these: an overflow is a qb::Error that names the field, never a
// wrapped value that a later allocation or pointer would trust.
#include "common/error.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace qb {

// what: "file: field" — the start of the message if the value does not fit.
inline uint64_t checkedMul(uint64_t a, uint64_t b, const std::string& what) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        throw Error(what + ": " + std::to_string(a) + " x " + std::to_string(b) + " overflows 64 bits");
    return r;
}

inline uint64_t checkedAdd(uint64_t a, uint64_t b, const std::string& what) {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r))
        throw Error(what + ": " + std::to_string(a) + " + " + std::to_string(b) + " overflows 64 bits");
    return r;
}

// |v| for a signed 32-bit field (INT32_MIN included: the result is 64-bit).
inline int64_t magnitude(int32_t v) { return v < 0 ? -int64_t(v) : int64_t(v); }

// Product of a shape's dimensions; each must be in [0, 2^63).
inline uint64_t checkedElements(const std::vector<uint64_t>& dims, const std::string& what) {
    uint64_t n = 1;
    for (uint64_t d : dims) {
        if (d > uint64_t(std::numeric_limits<int64_t>::max()))
            throw Error(what + ": dimension " + std::to_string(d) + " overflows 64 bits");
        n = checkedMul(n, d, what);
    }
    if (n > uint64_t(std::numeric_limits<int64_t>::max())) throw Error(what + ": " + std::to_string(n) + " elements overflow 64 bits");
    return n;
}

// A count or size from a file as an int, refused unless lo <= v <= hi.
inline int checkedInt(int64_t v, int64_t lo, int64_t hi, const std::string& what) {
    if (v < lo || v > hi)
        throw Error(what + ": " + std::to_string(v) + " is outside the supported range " + std::to_string(lo) + ".." + std::to_string(hi));
    return int(v);
}

// The largest model dimension (embedding, FFN, heads, layers, vocabulary) a
// header may claim: 2^24, far above any real model (Llama 3.1 405B: 53248 FFN,
// 126 layers, 128256 tokens) and small enough that products of two stay exact.
constexpr int64_t kMaxModelDim = int64_t(1) << 24;
// The largest trained context a header may claim (it is metadata: the KV cache
// is sized from what the user asks for, never from this).
constexpr int64_t kMaxContextClaim = std::numeric_limits<int32_t>::max();

} // namespace qb
