#include "chat/jinja_parser.h"

#include <utility>

#include "common/error.h"

#include <cstring>

namespace qb::jinja {

namespace {

constexpr int kMaxNesting = 200; // expression and block depth: untrusted templates stay within the stack

struct Token {
    enum class Kind { Text, VarBegin, BlockBegin, End, Name, String, Int, Float, Op, Eof };
    Kind kind;
    std::string text; // Text, Name, String, Op
    int64_t i = 0;
    double f = 0;
    Pos pos;
};

[[noreturn]] void fail(Pos p, const std::string& what) {
    throw Error("template line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": " + what);
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
public:
    explicit Lexer(const std::string& src) : m_src(src) {}

    std::vector<Token> run() {
        size_t pos = 0;
        const size_t n = m_src.size();
        while (pos < n) {
            size_t at = pos;
            while (true) {
                at = m_src.find('{', at);
                if (at == std::string::npos || at + 1 >= n) {
                    at = std::string::npos;
                    break;
                }
                const char k = m_src[at + 1];
                if (k == '{' || k == '%' || k == '#') break;
                ++at;
            }
            if (at == std::string::npos) {
                pushText(pos, n);
                break;
            }
            const char kind = m_src[at + 1];
            size_t after = at + 2;
            const bool stripBefore = after < n && m_src[after] == '-';
            const bool keepBefore = after < n && m_src[after] == '+';
            size_t textEnd = at;
            if (stripBefore) {
                while (textEnd > pos && isSpace(m_src[textEnd - 1])) --textEnd;
            } else if ((kind == '%' || kind == '#') && !keepBefore) { // lstrip_blocks
                size_t s = textEnd;
                while (s > 0 && (m_src[s - 1] == ' ' || m_src[s - 1] == '\t')) --s;
                if ((s == 0 || m_src[s - 1] == '\n') && s >= pos) textEnd = s;
            }
            pushText(pos, textEnd);
            if (stripBefore || keepBefore) ++after;
            bool stripAfter = false;
            if (kind == '#') {
                const size_t end = m_src.find("#}", after);
                if (end == std::string::npos) fail(posOf(at), "unclosed comment, expected #}");
                stripAfter = end > after && m_src[end - 1] == '-';
                pos = end + 2;
            } else {
                m_tokens.push_back({kind == '{' ? Token::Kind::VarBegin : Token::Kind::BlockBegin, {}, 0, 0, posOf(at)});
                pos = lexInside(after, kind == '{' ? '}' : '%', stripAfter);
            }
            if (stripAfter) {
                while (pos < n && isSpace(m_src[pos])) ++pos;
            } else if (kind != '{' && pos < n && m_src[pos] == '\n') { // trim_blocks
                ++pos;
            }
        }
        m_tokens.push_back({Token::Kind::Eof, {}, 0, 0, posOf(n)});
        return std::move(m_tokens);
    }

private:
    Pos posOf(size_t offset) {
        // incremental: offsets only grow
        for (; m_lineOffset < offset && m_lineOffset < m_src.size(); ++m_lineOffset) {
            if (m_src[m_lineOffset] == '\n') {
                ++m_line;
                m_lineStart = m_lineOffset + 1;
            }
        }
        return {m_line, int(offset - m_lineStart) + 1};
    }

    void pushText(size_t from, size_t to) {
        if (to > from) m_tokens.push_back({Token::Kind::Text, m_src.substr(from, to - from), 0, 0, posOf(from)});
    }

    // Lexes an expression up to its closing "}}" / "%}"; returns the offset after it.
    size_t lexInside(size_t p, char closer, bool& stripAfter) {
        const size_t n = m_src.size();
        while (true) {
            while (p < n && isSpace(m_src[p])) ++p;
            if (p >= n) fail(posOf(p), std::string("unclosed tag, expected ") + closer + "}");
            const char c = m_src[p];
            if (c == '-' && p + 2 < n + 0 && m_src[p + 1] == closer && m_src[p + 2] == '}') {
                stripAfter = true;
                m_tokens.push_back({Token::Kind::End, {}, 0, 0, posOf(p)});
                return p + 3;
            }
            if (c == closer && p + 1 < n && m_src[p + 1] == '}') {
                m_tokens.push_back({Token::Kind::End, {}, 0, 0, posOf(p)});
                return p + 2;
            }
            const Pos at = posOf(p);
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                size_t e = p;
                while (e < n && (std::isalnum(static_cast<unsigned char>(m_src[e])) || m_src[e] == '_')) ++e;
                m_tokens.push_back({Token::Kind::Name, m_src.substr(p, e - p), 0, 0, at});
                p = e;
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                size_t e = p;
                while (e < n && (std::isdigit(static_cast<unsigned char>(m_src[e])) || m_src[e] == '_')) ++e;
                bool isFloat = false;
                if (e + 1 < n && m_src[e] == '.' && std::isdigit(static_cast<unsigned char>(m_src[e + 1]))) {
                    isFloat = true;
                    ++e;
                    while (e < n && std::isdigit(static_cast<unsigned char>(m_src[e]))) ++e;
                }
                if (e < n && (m_src[e] == 'e' || m_src[e] == 'E')) {
                    size_t x = e + 1;
                    if (x < n && (m_src[x] == '+' || m_src[x] == '-')) ++x;
                    if (x < n && std::isdigit(static_cast<unsigned char>(m_src[x]))) {
                        isFloat = true;
                        e = x;
                        while (e < n && std::isdigit(static_cast<unsigned char>(m_src[e]))) ++e;
                    }
                }
                std::string digits;
                for (size_t k = p; k < e; ++k)
                    if (m_src[k] != '_') digits += m_src[k];
                Token t{isFloat ? Token::Kind::Float : Token::Kind::Int, digits, 0, 0, at};
                if (isFloat) t.f = std::strtod(digits.c_str(), nullptr);
                else {
                    errno = 0;
                    t.i = std::strtoll(digits.c_str(), nullptr, 10);
                    if (errno == ERANGE) fail(at, "integer literal out of range");
                }
                m_tokens.push_back(t);
                p = e;
            } else if (c == '\'' || c == '"') {
                std::string s;
                size_t e = p + 1;
                while (true) {
                    if (e >= n) fail(at, "unterminated string literal");
                    const char d = m_src[e];
                    if (d == c) break;
                    if (d == '\\' && e + 1 < n) {
                        const char x = m_src[++e];
                        switch (x) {
                        case 'n': s += '\n'; break;
                        case 't': s += '\t'; break;
                        case 'r': s += '\r'; break;
                        case '\\': s += '\\'; break;
                        case '\'': s += '\''; break;
                        case '"': s += '"'; break;
                        case '0': s += '\0'; break;
                        case '\n': break;
                        default: s += '\\'; s += x; break;
                        }
                        ++e;
                        continue;
                    }
                    s += d;
                    ++e;
                }
                m_tokens.push_back({Token::Kind::String, s, 0, 0, at});
                p = e + 1;
            } else {
                static const char* ops[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")",
                                            "[", "]", "{", "}", ",", ":", ".", "|"};
                const char* found = nullptr;
                for (const char* op : ops)
                    if (m_src.compare(p, std::strlen(op), op) == 0) {
                        found = op;
                        break;
                    }
                if (!found) fail(at, std::string("unexpected character '") + c + "'");
                m_tokens.push_back({Token::Kind::Op, found, 0, 0, at});
                p += std::strlen(found);
            }
        }
    }

    const std::string& m_src;
    std::vector<Token> m_tokens;
    size_t m_lineOffset = 0, m_lineStart = 0;
    int m_line = 1;
};

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : m_t(std::move(tokens)) {}

    Template run() {
        Template t;
        std::string endTag;
        t.body = parseBody({}, endTag);
        return t;
    }

private:
    const Token& peek(size_t ahead = 0) const { return m_t[std::min(m_p + ahead, m_t.size() - 1)]; }
    const Token& next() { return m_t[std::min(m_p++, m_t.size() - 1)]; }
    bool isOp(const char* op, size_t ahead = 0) const { return peek(ahead).kind == Token::Kind::Op && peek(ahead).text == op; }
    bool isName(const char* name, size_t ahead = 0) const { return peek(ahead).kind == Token::Kind::Name && peek(ahead).text == name; }
    static std::string describe(const Token& t) {
        switch (t.kind) {
        case Token::Kind::End: return "the end of the tag";
        case Token::Kind::Eof: return "the end of the template";
        case Token::Kind::Text: return "text";
        case Token::Kind::Int: case Token::Kind::Float: return "a number";
        case Token::Kind::String: return "a string";
        default: return "'" + t.text + "'";
        }
    }
    void expectOp(const char* op) {
        if (!isOp(op)) fail(peek().pos, "found " + describe(peek()) + ", expected '" + op + "'");
        ++m_p;
    }
    std::string expectName(const char* what) {
        if (peek().kind != Token::Kind::Name) fail(peek().pos, "found " + describe(peek()) + ", expected " + what);
        return next().text;
    }
    void expectEnd() {
        if (peek().kind != Token::Kind::End) fail(peek().pos, "found " + describe(peek()) + ", expected the end of the tag");
        ++m_p;
    }

    struct Depth {
        int& d;
        Depth(int& depth, Pos p) : d(depth) {
            if (++d > kMaxNesting) fail(p, "nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
        }
        ~Depth() { --d; }
    };

    // Statements until one of `ends` (a block tag name); `endTag` gets which.
    Body parseBody(const std::vector<std::string>& ends, std::string& endTag) {
        Depth guard(m_depth, peek().pos);
        Body body;
        while (true) {
            const Token& t = peek();
            if (t.kind == Token::Kind::Eof) {
                if (!ends.empty()) fail(t.pos, "the template ended inside a block, expected {% " + ends.back() + " %}");
                return body;
            }
            if (t.kind == Token::Kind::Text) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Text;
                s->pos = t.pos;
                s->text = t.text;
                body.push_back(std::move(s));
                ++m_p;
                continue;
            }
            if (t.kind == Token::Kind::VarBegin) {
                ++m_p;
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Output;
                s->pos = t.pos;
                s->expr = parseExpression();
                if (peek().kind != Token::Kind::End) fail(peek().pos, "found " + describe(peek()) + ", expected }}");
                ++m_p;
                body.push_back(std::move(s));
                continue;
            }
            // a block tag
            const Pos at = t.pos;
            ++m_p;
            const std::string tag = expectName("a tag name");
            for (const auto& e : ends)
                if (tag == e) {
                    endTag = tag;
                    return body;
                }
            body.push_back(parseStatement(tag, at));
        }
    }

    std::unique_ptr<Stmt> parseStatement(const std::string& tag, Pos at) {
        auto s = std::make_unique<Stmt>();
        s->pos = at;
        std::string end;
        if (tag == "if") {
            s->kind = Stmt::Kind::If;
            ExprPtr cond = parseExpression();
            expectEnd();
            while (true) {
                Body b = parseBody({"elif", "else", "endif"}, end);
                s->branches.emplace_back(std::move(cond), std::move(b));
                if (end == "endif") break;
                if (end == "else") {
                    expectEnd();
                    Body e = parseBody({"endif"}, end);
                    s->branches.emplace_back(nullptr, std::move(e));
                    break;
                }
                cond = parseExpression();
                expectEnd();
            }
            expectEnd();
        } else if (tag == "for") {
            s->kind = Stmt::Kind::For;
            s->targets.push_back(expectName("a loop variable"));
            while (isOp(",")) {
                ++m_p;
                s->targets.push_back(expectName("a loop variable"));
            }
            if (!isName("in")) fail(peek().pos, "found " + describe(peek()) + ", expected 'in'");
            ++m_p;
            s->expr = parseOr(); // the iterable (no bare ternary: "if" starts the loop filter)
            if (isName("if")) {
                ++m_p;
                s->filterCond = parseExpression();
            }
            if (isName("recursive")) fail(peek().pos, "recursive loops are not supported");
            expectEnd();
            ++m_loopDepth;
            s->body = parseBody({"else", "endfor"}, end);
            --m_loopDepth;
            if (end == "else") {
                expectEnd();
                s->elseBody = parseBody({"endfor"}, end);
            }
            expectEnd();
        } else if (tag == "set") {
            std::string target = expectName("a variable name");
            if (isOp(".")) {
                ++m_p;
                target += "." + expectName("an attribute name");
            }
            s->targets.push_back(target);
            while (isOp(",")) {
                ++m_p;
                s->targets.push_back(expectName("a variable name"));
            }
            if (isOp("=")) {
                ++m_p;
                s->kind = Stmt::Kind::Set;
                s->expr = parseTupleOrExpression();
                expectEnd();
            } else {
                if (s->targets.size() != 1) fail(peek().pos, "a {% set %} block assigns one name");
                s->kind = Stmt::Kind::SetBlock;
                if (isOp("|")) s->expr = parseFilterChain(nullptr);
                expectEnd();
                s->body = parseBody({"endset"}, end);
                expectEnd();
            }
        } else if (tag == "macro") {
            s->kind = Stmt::Kind::Macro;
            s->name = expectName("a macro name");
            expectOp("(");
            while (!isOp(")")) {
                std::string p = expectName("a parameter name");
                ExprPtr def;
                if (isOp("=")) {
                    ++m_p;
                    def = parseExpression();
                }
                s->params.emplace_back(p, std::move(def));
                if (!isOp(",")) break;
                ++m_p;
            }
            expectOp(")");
            expectEnd();
            const int loops = std::exchange(m_loopDepth, 0); // a macro's body is outside the caller's loops
            s->body = parseBody({"endmacro"}, end);
            m_loopDepth = loops;
            if (peek().kind == Token::Kind::Name) ++m_p; // {% endmacro name %}
            expectEnd();
        } else if (tag == "call") {
            s->kind = Stmt::Kind::CallBlock;
            s->expr = parseExpression();
            if (s->expr->kind != Expr::Kind::Call) fail(at, "{% call %} expects a macro call");
            expectEnd();
            const int loops = std::exchange(m_loopDepth, 0); // the caller block runs as a macro
            s->body = parseBody({"endcall"}, end);
            m_loopDepth = loops;
            expectEnd();
        } else if (tag == "filter") {
            s->kind = Stmt::Kind::FilterBlock;
            s->expr = parseFilterChain(nullptr, true);
            expectEnd();
            s->body = parseBody({"endfilter"}, end);
            expectEnd();
        } else if (tag == "break" || tag == "continue") {
            s->kind = tag == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue;
            if (m_loopDepth == 0) fail(at, "'" + tag + "' outside a for loop");
            expectEnd();
        } else {
            fail(at, "unknown tag '" + tag + "', expected if, for, set, macro, call, filter, break or continue");
        }
        return s;
    }

    ExprPtr make(Expr::Kind k, Pos p) {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->pos = p;
        return e;
    }

    // "a, b" without brackets (set a, b = ...; set x = 1, 2)
    ExprPtr parseTupleOrExpression() {
        const Pos at = peek().pos;
        ExprPtr first = parseExpression();
        if (!isOp(",")) return first;
        auto t = make(Expr::Kind::Tuple, at);
        t->items.push_back(std::move(first));
        while (isOp(",")) {
            ++m_p;
            if (peek().kind == Token::Kind::End) break;
            t->items.push_back(parseExpression());
        }
        return t;
    }

    ExprPtr parseExpression() {
        Depth guard(m_depth, peek().pos);
        ExprPtr e = parseOr();
        if (isName("if")) {
            const Pos at = peek().pos;
            ++m_p;
            auto c = make(Expr::Kind::Cond, at);
            c->a = std::move(e);
            c->b = parseOr();
            if (isName("else")) {
                ++m_p;
                c->c = parseExpression();
            }
            return c;
        }
        return e;
    }

    ExprPtr binary(const std::string& op, ExprPtr l, ExprPtr r, Pos p) {
        auto e = make(Expr::Kind::Binary, p);
        e->name = op;
        e->a = std::move(l);
        e->b = std::move(r);
        return e;
    }

    ExprPtr parseOr() {
        ExprPtr l = parseAnd();
        while (isName("or")) {
            const Pos p = next().pos;
            l = binary("or", std::move(l), parseAnd(), p);
        }
        return l;
    }
    ExprPtr parseAnd() {
        ExprPtr l = parseNot();
        while (isName("and")) {
            const Pos p = next().pos;
            l = binary("and", std::move(l), parseNot(), p);
        }
        return l;
    }
    ExprPtr parseNot() {
        if (isName("not")) {
            Depth guard(m_depth, peek().pos);
            auto e = make(Expr::Kind::Unary, next().pos);
            e->name = "not";
            e->a = parseNot();
            return e;
        }
        return parseCompare();
    }
    ExprPtr parseCompare() {
        ExprPtr l = parseMath1();
        while (true) {
            const Pos p = peek().pos;
            std::string op;
            if (peek().kind == Token::Kind::Op && (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == ">" ||
                                                   peek().text == "<=" || peek().text == ">="))
                op = next().text;
            else if (isName("in")) {
                ++m_p;
                op = "in";
            } else if (isName("not") && isName("in", 1)) {
                m_p += 2;
                op = "not in";
            } else
                return l;
            l = binary(op, std::move(l), parseMath1(), p);
        }
    }
    ExprPtr parseMath1() {
        ExprPtr l = parseConcat();
        while (isOp("+") || isOp("-")) {
            const Token& t = next();
            l = binary(t.text, std::move(l), parseConcat(), t.pos);
        }
        return l;
    }
    ExprPtr parseConcat() {
        ExprPtr l = parseMath2();
        while (isOp("~")) {
            const Pos p = next().pos;
            l = binary("~", std::move(l), parseMath2(), p);
        }
        return l;
    }
    ExprPtr parseMath2() {
        ExprPtr l = parsePow();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            const Token& t = next();
            l = binary(t.text, std::move(l), parsePow(), t.pos);
        }
        return l;
    }
    ExprPtr parsePow() {
        ExprPtr l = parseUnary();
        while (isOp("**")) {
            const Pos p = next().pos;
            l = binary("**", std::move(l), parseUnary(), p);
        }
        return l;
    }
    ExprPtr parseUnary() {
        Depth guard(m_depth, peek().pos);
        if (isOp("-") || isOp("+")) {
            auto e = make(Expr::Kind::Unary, peek().pos);
            e->name = next().text;
            e->a = parseUnary();
            return parseFilterChain(std::move(e));
        }
        ExprPtr e = parsePostfix(parsePrimary());
        return parseFilterChain(std::move(e));
    }

    void parseCallArgs(Expr& e) {
        expectOp("(");
        while (!isOp(")")) {
            if (peek().kind == Token::Kind::Name && isOp("=", 1)) {
                std::string k = next().text;
                ++m_p;
                e.kwargs.emplace_back(k, parseExpression());
            } else {
                e.items.push_back(parseExpression());
            }
            if (!isOp(",")) break;
            ++m_p;
        }
        expectOp(")");
    }

    // "| f(args) | g" and "is [not] test args" after `base` (null inside {% filter %} / set blocks)
    ExprPtr parseFilterChain(ExprPtr base, bool first = false) {
        while (true) {
            if (isOp("|") || first) {
                if (!first) ++m_p;
                first = false;
                auto f = make(Expr::Kind::Filter, peek().pos);
                f->name = expectName("a filter name");
                while (isOp(".")) { // dotted filter names are not Jinja's, refuse clearly
                    fail(peek().pos, "unexpected '.', expected a filter name");
                }
                f->a = std::move(base);
                if (isOp("(")) parseCallArgs(*f);
                base = std::move(f);
            } else if (isName("is")) {
                auto t = make(Expr::Kind::Test, next().pos);
                if (isName("not")) {
                    ++m_p;
                    t->negated = true;
                }
                t->name = expectName("a test name");
                t->a = std::move(base);
                if (isOp("(")) parseCallArgs(*t);
                else if (peek().kind == Token::Kind::String || peek().kind == Token::Kind::Int || peek().kind == Token::Kind::Float ||
                         (peek().kind == Token::Kind::Name && !isName("and") && !isName("or") && !isName("else") && !isName("if") &&
                          !isName("in") && !isName("is") && !isName("not")))
                    t->items.push_back(parsePostfix(parsePrimary()));
                base = std::move(t);
            } else
                return base;
        }
    }

    ExprPtr parsePrimary() {
        const Token& t = peek();
        const Pos at = t.pos;
        switch (t.kind) {
        case Token::Kind::Name: {
            ++m_p;
            auto e = make(Expr::Kind::Literal, at);
            if (t.text == "true" || t.text == "True") e->value = Value::boolean(true);
            else if (t.text == "false" || t.text == "False") e->value = Value::boolean(false);
            else if (t.text == "none" || t.text == "None") e->value = Value::none();
            else {
                e->kind = Expr::Kind::Name;
                e->name = t.text;
            }
            return e;
        }
        case Token::Kind::String: {
            std::string s;
            while (peek().kind == Token::Kind::String) s += next().text; // adjacent literals join
            auto e = make(Expr::Kind::Literal, at);
            e->value = Value::string(s);
            return e;
        }
        case Token::Kind::Int: {
            ++m_p;
            auto e = make(Expr::Kind::Literal, at);
            e->value = Value::integer(t.i);
            return e;
        }
        case Token::Kind::Float: {
            ++m_p;
            auto e = make(Expr::Kind::Literal, at);
            e->value = Value::real(t.f);
            return e;
        }
        case Token::Kind::Op:
            if (t.text == "(") {
                ++m_p;
                if (isOp(")")) {
                    ++m_p;
                    return make(Expr::Kind::Tuple, at);
                }
                ExprPtr first = parseExpression();
                if (isOp(")")) {
                    ++m_p;
                    return first;
                }
                auto tup = make(Expr::Kind::Tuple, at);
                tup->items.push_back(std::move(first));
                while (isOp(",")) {
                    ++m_p;
                    if (isOp(")")) break;
                    tup->items.push_back(parseExpression());
                }
                expectOp(")");
                return tup;
            }
            if (t.text == "[") {
                ++m_p;
                auto l = make(Expr::Kind::List, at);
                while (!isOp("]")) {
                    l->items.push_back(parseExpression());
                    if (!isOp(",")) break;
                    ++m_p;
                }
                expectOp("]");
                return l;
            }
            if (t.text == "{") {
                ++m_p;
                auto d = make(Expr::Kind::Dict, at);
                while (!isOp("}")) {
                    d->keys.push_back(parseExpression());
                    expectOp(":");
                    d->items.push_back(parseExpression());
                    if (!isOp(",")) break;
                    ++m_p;
                }
                expectOp("}");
                return d;
            }
            break;
        default: break;
        }
        fail(at, "found " + describe(t) + ", expected an expression");
    }

    ExprPtr parsePostfix(ExprPtr e) {
        while (true) {
            if (isOp(".")) {
                const Pos p = next().pos;
                auto a = make(Expr::Kind::Attr, p);
                if (peek().kind == Token::Kind::Int) a->name = std::to_string(next().i); // x.0 is x[0] in Jinja
                else a->name = expectName("an attribute name");
                a->a = std::move(e);
                e = std::move(a);
            } else if (isOp("[")) {
                const Pos p = next().pos;
                ExprPtr parts[3];
                int n = 0;
                bool slice = false;
                while (true) {
                    if (!isOp(":") && !isOp("]")) parts[n] = parseExpression();
                    if (isOp(":")) {
                        slice = true;
                        ++m_p;
                        if (++n > 2) fail(p, "a slice has at most 3 parts");
                        continue;
                    }
                    break;
                }
                expectOp("]");
                if (slice) {
                    auto s = make(Expr::Kind::Slice, p);
                    s->a = std::move(e);
                    for (auto& x : parts) s->items.push_back(std::move(x));
                    e = std::move(s);
                } else {
                    if (!parts[0]) fail(p, "empty subscript, expected an index");
                    auto s = make(Expr::Kind::Index, p);
                    s->a = std::move(e);
                    s->b = std::move(parts[0]);
                    e = std::move(s);
                }
            } else if (isOp("(")) {
                auto c = make(Expr::Kind::Call, peek().pos);
                c->a = std::move(e);
                parseCallArgs(*c);
                e = std::move(c);
            } else
                return e;
        }
    }

    std::vector<Token> m_t;
    size_t m_p = 0;
    int m_depth = 0;
    int m_loopDepth = 0; // enclosing for-loop bodies (break / continue need one)
};

} // namespace

Template parseTemplate(const std::string& source) { return Parser(Lexer(source).run()).run(); }

} // namespace qb::jinja
