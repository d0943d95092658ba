#include "model/byte_unicode.h"

#include <array>
#include <unordered_map>

namespace qb {

namespace {

std::string codepointToUtf8(uint32_t cp) {
    std::string s;
    if (cp < 0x80) s += char(cp);
    else if (cp < 0x800) { s += char(0xC0 | (cp >> 6)); s += char(0x80 | (cp & 0x3F)); }
    else { s += char(0xE0 | (cp >> 12)); s += char(0x80 | ((cp >> 6) & 0x3F)); s += char(0x80 | (cp & 0x3F)); }
    return s;
}

struct Tables {
    std::array<std::string, 256> byteToText;
    std::unordered_map<std::string, unsigned char> textToByte;
    Tables() {
        int next = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            const uint32_t cp = printable ? uint32_t(b) : uint32_t(256 + next++);
            byteToText[size_t(b)] = codepointToUtf8(cp);
            textToByte[byteToText[size_t(b)]] = static_cast<unsigned char>(b);
        }
    }
};

const Tables& tables() {
    static const Tables t; // immutable lookup table, built once
    return t;
}

size_t utf8Len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

} // namespace

std::string bytesToUnicode(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) out += tables().byteToText[c];
    return out;
}

std::string unicodeToBytes(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        const size_t n = std::min(utf8Len(static_cast<unsigned char>(text[i])), text.size() - i);
        const std::string ch = text.substr(i, n);
        auto it = tables().textToByte.find(ch);
        if (it != tables().textToByte.end()) out += char(it->second);
        else out += ch; // not from the byte alphabet: keep as is
        i += n;
    }
    return out;
}

} // namespace qb
