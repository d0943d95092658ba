#include "model/tokenizer.h"

#include "common/error.h"
#include "model/byte_unicode.h"
#include "model/pretokenizer.h"

#include <cstdio>
#include <functional>
#include <list>
#include <map>
#include <queue>

namespace qb {

namespace {

size_t utf8Length(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

const std::string kSpace = "\xE2\x96\x81"; // U+2581, SentencePiece's space

// One pass, linear in the text (replacing in place moved the tail on every
// match: quadratic on a book-length evaluation text).
std::string replaceAll(const std::string& s, const std::string& from, const std::string& to) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    size_t pos = 0;
    for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
        out.append(s, pos, hit - pos);
        out += to;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

// A symbol in the merge linked list: a span of the word being tokenized.
struct Symbol {
    int prev, next;
    size_t start, n;
};

std::vector<Symbol> splitChars(const std::string& text) {
    std::vector<Symbol> symbols;
    size_t offs = 0;
    int index = 0;
    while (offs < text.size()) {
        const size_t n = std::min(utf8Length(static_cast<unsigned char>(text[offs])), text.size() - offs);
        symbols.push_back({index - 1, offs + n == text.size() ? -1 : index + 1, offs, n});
        offs += n;
        ++index;
    }
    return symbols;
}

// A piece of input after special-token partition: text, or one token id.
struct Fragment {
    bool isToken;
    int token;
    std::string text;
};

} // namespace

struct Tokenizer::BpeState {
    Pretokenizer pretokenizer;
    explicit BpeState(const std::string& pre) : pretokenizer(pre) {}
};

Tokenizer::Tokenizer(std::shared_ptr<const Vocab> vocab) : m_vocab(std::move(vocab)) {
    if (m_vocab->kind == TokenizerKind::Bpe) m_bpe = std::make_unique<BpeState>(m_vocab->pre);
}

Tokenizer::~Tokenizer() = default;

std::vector<int> Tokenizer::encode(const std::string& text, bool addSpecial, bool parseSpecial) const {
    const Vocab& v = *m_vocab;
    // 1. special-token partition: split out every special token's text,
    //    longest first. Without parseSpecial only user-defined tokens split.
    std::list<Fragment> fragments;
    if (!text.empty()) fragments.push_back({false, -1, text});
    for (int id : v.specialIds) {
        const TokenType t = v.type(id);
        if (!parseSpecial && (t == TokenType::Control || t == TokenType::Unknown)) continue;
        const std::string& special = v.tokens[size_t(id)];
        if (special.empty()) continue;
        for (auto it = fragments.begin(); it != fragments.end(); ++it) {
            if (it->isToken) continue;
            size_t pos = it->text.find(special);
            if (pos == std::string::npos) continue;
            std::string rest = it->text;
            auto insertAt = std::next(it);
            fragments.erase(it);
            size_t from = 0;
            std::list<Fragment>::iterator last;
            while (pos != std::string::npos) {
                if (pos > from) fragments.insert(insertAt, {false, -1, rest.substr(from, pos - from)});
                last = fragments.insert(insertAt, {true, id, {}});
                from = pos + special.size();
                pos = rest.find(special, from);
            }
            if (from < rest.size()) last = fragments.insert(insertAt, {false, -1, rest.substr(from)});
            it = last;
        }
    }

    // 2. tokenize text fragments; special fragments are their token.
    std::vector<int> out;
    if (addSpecial && v.addBos) out.push_back(v.bos);
    bool prevSpecial = true;
    for (const Fragment& f : fragments) {
        if (f.isToken) {
            out.push_back(f.token);
            prevSpecial = true;
            continue;
        }
        if (v.kind == TokenizerKind::Spm) {
            std::string t = (v.addSpacePrefix && prevSpecial) ? " " + f.text : f.text;
            encodeSpm(replaceAll(t, " ", kSpace), out);
        } else {
            encodeBpe(f.text, out);
        }
        prevSpecial = false;
    }
    if (addSpecial && v.addEos && v.eos >= 0) out.push_back(v.eos);
    return out;
}

void Tokenizer::encodeSpm(const std::string& text, std::vector<int>& out) const {
    const Vocab& v = *m_vocab;
    std::vector<Symbol> symbols = splitChars(text);
    struct Bigram {
        int left, right;
        float score;
        size_t size;
    };
    // highest score first; ties go to the leftmost pair
    auto worse = [](const Bigram& l, const Bigram& r) { return l.score < r.score || (l.score == r.score && l.left > r.left); };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
    std::map<std::string, std::pair<int, int>> revMerge;

    auto tryAdd = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const std::string s = text.substr(symbols[size_t(left)].start, symbols[size_t(left)].n + symbols[size_t(right)].n);
        const int id = v.find(s);
        if (id < 0) return;
        queue.push({left, right, v.scores[size_t(id)], s.size()});
        revMerge[s] = {left, right};
    };
    for (int i = 1; i < int(symbols.size()); ++i) tryAdd(i - 1, i);

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& l = symbols[size_t(b.left)];
        Symbol& r = symbols[size_t(b.right)];
        if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue; // stale
        l.n += r.n;
        r.n = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[size_t(r.next)].prev = b.left;
        tryAdd(l.prev, b.left);
        tryAdd(b.left, l.next);
    }

    // Resegment: known pieces go out whole; unknown ones split back along the
    // merges that built them, and what is left goes out as byte tokens.
    std::function<void(const Symbol&)> resegment = [&](const Symbol& s) {
        const std::string piece = text.substr(s.start, s.n);
        const int id = v.find(piece);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
        auto it = revMerge.find(piece);
        if (it == revMerge.end()) {
            for (unsigned char c : piece) {
                char name[8];
                std::snprintf(name, sizeof name, "<0x%02X>", c);
                int byteId = v.find(name);
                if (byteId < 0) byteId = v.unk;
                out.push_back(byteId);
            }
            return;
        }
        resegment(symbols[size_t(it->second.first)]);
        resegment(symbols[size_t(it->second.second)]);
    };
    if (symbols.empty()) return;
    for (int i = 0; i != -1; i = symbols[size_t(i)].next) resegment(symbols[size_t(i)]);
}

void Tokenizer::encodeBpe(const std::string& text, std::vector<int>& out) const {
    const Vocab& v = *m_vocab;
    const bool ignoreMerges = v.pre == "llama-bpe" || v.pre == "llama3";
    for (const std::string& rawWord : m_bpe->pretokenizer.split(text)) {
        const std::string word = bytesToUnicode(rawWord);
        if (ignoreMerges) {
            const int id = v.find(word);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
        }
        std::vector<Symbol> symbols = splitChars(word);
        struct Bigram {
            int left, right;
            int rank;
            std::string text;
        };
        auto worse = [](const Bigram& l, const Bigram& r) { return l.rank > r.rank || (l.rank == r.rank && l.left > r.left); };
        std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
        auto symText = [&](int i) { return word.substr(symbols[size_t(i)].start, symbols[size_t(i)].n); };
        auto tryAdd = [&](int left, int right) {
            if (left < 0 || right < 0) return;
            const std::string l = symText(left), r = symText(right);
            auto it = v.mergeRank.find(l + " " + r);
            if (it == v.mergeRank.end()) return;
            queue.push({left, right, it->second, l + r});
        };
        for (int i = 1; i < int(symbols.size()); ++i) tryAdd(i - 1, i);
        while (!queue.empty()) {
            const Bigram b = queue.top();
            queue.pop();
            Symbol& l = symbols[size_t(b.left)];
            Symbol& r = symbols[size_t(b.right)];
            if (l.n == 0 || r.n == 0) continue;
            if (symText(b.left) + symText(b.right) != b.text) continue; // stale
            l.n += r.n;
            r.n = 0;
            l.next = r.next;
            if (r.next >= 0) symbols[size_t(r.next)].prev = b.left;
            tryAdd(l.prev, b.left);
            tryAdd(b.left, l.next);
        }
        for (size_t i = 0; i < symbols.size(); ++i) {
            if (symbols[i].n == 0) continue;
            const std::string s = word.substr(symbols[i].start, symbols[i].n);
            const int id = v.find(s);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            for (char c : s) { // llama.cpp's fallback: one token per byte of the piece, when it exists
                const int byteId = v.find(std::string(1, c));
                if (byteId >= 0) out.push_back(byteId);
            }
        }
    }
}

std::string Tokenizer::piece(int id, bool special) const {
    const Vocab& v = *m_vocab;
    if (id < 0 || id >= v.size()) throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(v.size() - 1) + ")");
    const std::string& text = v.tokens[size_t(id)];
    switch (v.type(id)) {
    case TokenType::Control: return special ? text : std::string();
    case TokenType::UserDefined: return text;
    case TokenType::Unused: return std::string();
    case TokenType::Unknown:
        return v.kind == TokenizerKind::Spm ? std::string("\xE2\x96\x85") : text;
    case TokenType::Byte:
        if (v.kind == TokenizerKind::Spm) return std::string(1, char(parseByteToken(text)));
        return unicodeToBytes(text);
    default:
        return v.kind == TokenizerKind::Spm ? replaceAll(text, kSpace, " ") : unicodeToBytes(text);
    }
}

std::string Tokenizer::decode(const std::vector<int>& ids, bool special) const {
    std::string out;
    bool stripSpace = m_vocab->kind == TokenizerKind::Spm && m_vocab->addSpacePrefix;
    for (int id : ids) {
        std::string p = piece(id, special);
        if (p.empty()) continue; // control tokens such as BOS do not use up the strip
        if (stripSpace && p[0] == ' ') p.erase(0, 1);
        stripSpace = false;
        out += p;
    }
    return out;
}

} // namespace qb
