#pragma once
// GPT-2's reversible byte <-> printable-unicode mapping used by byte-level BPE
// vocabularies: every byte becomes one code point, spaces become 'Ġ'.
#include <string>

namespace qb {

std::string bytesToUnicode(const std::string& bytes);   // raw bytes -> vocabulary text
std::string unicodeToBytes(const std::string& text);    // vocabulary text -> raw bytes

} // namespace qb
