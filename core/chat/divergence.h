#pragma once
// Where two streamed answers part: the index of the first piece (token text)
// that differs, comparing the pieces in order. Used by the A/B chat to mark
// the first token where a quantized variant's greedy answer leaves the other's.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace qb {

// nullopt when one answer's pieces are a prefix of the other's and both have
// the same length (identical answers); when one is a strict prefix, the index
// is the shorter one's length (the longer one goes on where the other stopped).
inline std::optional<size_t> firstDifferentPiece(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return i;
    if (a.size() == b.size()) return std::nullopt;
    return n;
}

} // namespace qb
