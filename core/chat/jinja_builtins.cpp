#include "chat/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>

namespace qb::jinja {

namespace {

void requireDefined(const Value& v) {
    if (v.isUndefined()) throw Error(v.s.empty() ? "an undefined value was used" : v.s);
}

// UTF-8 code points of s (Python's str indexing and len count them).
std::vector<std::string> codePoints(const std::string& s) {
    std::vector<std::string> out;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        n = std::min(n, s.size() - i);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

// Jinja2's undefined result of a missing attribute or item: "'dict object' has no attribute 'x'".
Value noAttribute(const Value& v, const std::string& name) {
    std::string why = "'";
    why.append(v.typeName()).append(" object' has no attribute '").append(name).append("'");
    return Value::undefined(why);
}

bool isWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string strip(const std::string& s, const Value& chars, bool left, bool right) {
    auto drop = [&](char c) { return chars.isString() ? chars.s.find(c) != std::string::npos : isWs(c); };
    size_t a = 0, b = s.size();
    if (left)
        while (a < b && drop(s[a])) ++a;
    if (right)
        while (b > a && drop(s[b - 1])) --b;
    return s.substr(a, b - a);
}

std::string replaceAll(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
    if (from.empty()) { // Python inserts `to` between every character
        std::string out = to;
        for (const auto& cp : codePoints(s)) out += cp + to;
        return out;
    }
    std::string out;
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        const size_t at = s.find(from, pos);
        if (at == std::string::npos) break;
        out += s.substr(pos, at - pos) + to;
        pos = at + from.size();
        ++done;
    }
    return out + s.substr(pos);
}

Value split(const std::string& s, const Value& sep, int64_t maxsplit) {
    List parts;
    if (!sep.isString() || sep.s.empty()) {
        if (sep.isString()) throw Error("empty separator");
        size_t i = 0;
        while (true) {
            while (i < s.size() && isWs(s[i])) ++i;
            if (i >= s.size()) break;
            if (maxsplit >= 0 && int64_t(parts.size()) == maxsplit) {
                size_t e = s.size();
                while (e > i && isWs(s[e - 1])) --e;
                parts.push_back(Value::string(s.substr(i, e - i)));
                break;
            }
            size_t j = i;
            while (j < s.size() && !isWs(s[j])) ++j;
            parts.push_back(Value::string(s.substr(i, j - i)));
            i = j;
        }
        return Value::makeList(std::move(parts));
    }
    size_t pos = 0;
    while (maxsplit < 0 || int64_t(parts.size()) < maxsplit) {
        const size_t at = s.find(sep.s, pos);
        if (at == std::string::npos) break;
        parts.push_back(Value::string(s.substr(pos, at - pos)));
        pos = at + sep.s.size();
    }
    parts.push_back(Value::string(s.substr(pos)));
    return Value::makeList(std::move(parts));
}

std::string caseMap(const std::string& s, int mode) { // 0 lower, 1 upper, 2 capitalize, 3 title (ASCII letters)
    std::string out = s;
    bool start = true;
    for (size_t i = 0; i < out.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(out[i]);
        const bool alpha = std::isalpha(c) != 0;
        if (mode == 0) out[i] = char(std::tolower(c));
        else if (mode == 1) out[i] = char(std::toupper(c));
        else if (mode == 2) out[i] = char(i == 0 ? std::toupper(c) : std::tolower(c));
        else {
            out[i] = char(start ? std::toupper(c) : std::tolower(c));
            start = !alpha && c < 0x80;
        }
    }
    return out;
}

bool startsOrEnds(const std::string& s, const Value& what, bool ends) {
    auto one = [&](const std::string& p) {
        if (p.size() > s.size()) return false;
        return ends ? s.compare(s.size() - p.size(), p.size(), p) == 0 : s.compare(0, p.size(), p) == 0;
    };
    if (what.isString()) return one(what.s);
    if (what.isList()) {
        for (const Value& p : *what.list)
            if (p.isString() && one(p.s)) return true;
        return false;
    }
    throw Error(std::string(ends ? "endswith" : "startswith") + " first arg must be str or a tuple of str, not " + what.typeName());
}

Value boundMethod(const Value& self, const std::string& name) {
    if (self.isString()) {
        const std::string s = self.s;
        if (name == "strip" || name == "lstrip" || name == "rstrip")
            return Value::function([s, name](CallArgs& a) {
                return Value::string(strip(s, a.get(0, "chars"), name != "rstrip", name != "lstrip"));
            });
        if (name == "split")
            return Value::function([s](CallArgs& a) {
                const Value m = a.get(1, "maxsplit");
                return split(s, a.get(0, "sep"), m.kind == Value::Kind::Int ? m.i : -1);
            });
        if (name == "startswith" || name == "endswith")
            return Value::function([s, name](CallArgs& a) { return Value::boolean(startsOrEnds(s, a.get(0, "prefix"), name == "endswith")); });
        if (name == "upper" || name == "lower" || name == "capitalize" || name == "title") {
            const int mode = name == "lower" ? 0 : name == "upper" ? 1 : name == "capitalize" ? 2 : 3;
            return Value::function([s, mode](CallArgs&) { return Value::string(caseMap(s, mode)); });
        }
        if (name == "replace")
            return Value::function([s](CallArgs& a) {
                const Value from = a.get(0, "old"), to = a.get(1, "new"), count = a.get(2, "count");
                if (!from.isString() || !to.isString()) throw Error("replace() arguments must be str");
                return Value::string(replaceAll(s, from.s, to.s, count.kind == Value::Kind::Int ? count.i : -1));
            });
        if (name == "find")
            return Value::function([s](CallArgs& a) {
                const Value x = a.get(0, "sub");
                const size_t at = x.isString() ? s.find(x.s) : std::string::npos;
                return Value::integer(at == std::string::npos ? -1 : int64_t(codePoints(s.substr(0, at)).size()));
            });
        if (name == "count")
            return Value::function([s](CallArgs& a) {
                const Value x = a.get(0, "sub");
                if (!x.isString() || x.s.empty()) return Value::integer(int64_t(codePoints(s).size()) + 1);
                int64_t n = 0;
                for (size_t at = s.find(x.s); at != std::string::npos; at = s.find(x.s, at + x.s.size())) ++n;
                return Value::integer(n);
            });
        if (name == "join")
            return Value::function([s](CallArgs& a) {
                std::string out;
                bool first = true;
                for (const Value& x : iterateValue(a.get(0, "iterable"))) {
                    out += (first ? "" : s) + str(x);
                    first = false;
                }
                return Value::string(out);
            });
    }
    if (self.isDict() && !self.isNamespace) {
        const auto d = self.dict;
        if (name == "get")
            return Value::function([d](CallArgs& a) {
                const Value k = a.get(0, "key");
                const Value* v = k.isString() ? d->find(k.s) : nullptr;
                return v ? *v : a.get(1, "default", Value::none());
            });
        if (name == "items")
            return Value::function([d](CallArgs&) {
                List out;
                for (const auto& [k, v] : d->items) out.push_back(Value::makeList({Value::string(k), v}));
                return Value::makeList(std::move(out));
            });
        if (name == "keys")
            return Value::function([d](CallArgs&) {
                List out;
                for (const auto& kv : d->items) out.push_back(Value::string(kv.first));
                return Value::makeList(std::move(out));
            });
        if (name == "values")
            return Value::function([d](CallArgs&) {
                List out;
                for (const auto& kv : d->items) out.push_back(kv.second);
                return Value::makeList(std::move(out));
            });
    }
    return noAttribute(self, name);
}

// Integer arithmetic as Python's, within 64 bits: a result outside them is an error, never a wrap (or UB).
int64_t exactInt(const Value& v) { return v.kind == Value::Kind::Bool ? int64_t(v.b) : v.i; }
int64_t overflowed(const std::string& op) { throw Error("integer overflow in '" + op + "' (results beyond 64 bits are not supported)"); }
int64_t intFromDouble(double d, const char* what) {
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) throw Error(std::string(what) + ": the value is outside the 64-bit integer range");
    return int64_t(d);
}
int64_t intOp(const std::string& op, int64_t x, int64_t y) {
    int64_t r = 0;
    if (op == "+") return __builtin_add_overflow(x, y, &r) ? overflowed(op) : r;
    if (op == "-") return __builtin_sub_overflow(x, y, &r) ? overflowed(op) : r;
    if (op == "*") return __builtin_mul_overflow(x, y, &r) ? overflowed(op) : r;
    if (op == "//") { // floor division
        if (x == INT64_MIN && y == -1) return overflowed(op);
        r = x / y;
        return x % y != 0 && ((x < 0) != (y < 0)) ? r - 1 : r;
    }
    if (op == "%") { // the sign of the divisor, as Python
        if (y == -1) return 0;
        r = x % y;
        return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
    }
    // "**" with y >= 0: by squaring, each product checked
    int64_t base = x;
    r = 1;
    for (int64_t e = y; e > 0; e >>= 1) {
        if ((e & 1) && __builtin_mul_overflow(r, base, &r)) return overflowed(op);
        if (e > 1 && __builtin_mul_overflow(base, base, &base)) return overflowed(op);
    }
    return r;
}

int64_t toIndex(const Value& v, const char* what) {
    if (v.kind == Value::Kind::Int) return v.i;
    if (v.kind == Value::Kind::Bool) return v.b;
    throw Error(std::string(what) + " indices must be integers, not " + v.typeName());
}

int compare(const Value& a, const Value& b) {
    const WalkDepth guard;
    if (a.isNumber() && b.isNumber()) return a.number() < b.number() ? -1 : a.number() > b.number() ? 1 : 0;
    if (a.isString() && b.isString()) return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
    if (a.isList() && b.isList()) {
        for (size_t k = 0; k < std::min(a.list->size(), b.list->size()); ++k)
            if (const int c = compare((*a.list)[k], (*b.list)[k])) return c;
        return a.list->size() < b.list->size() ? -1 : a.list->size() > b.list->size() ? 1 : 0;
    }
    requireDefined(a);
    requireDefined(b);
    throw Error(std::string("'<' not supported between instances of '") + a.typeName() + "' and '" + b.typeName() + "'");
}

bool contains(const Value& container, const Value& item) {
    requireDefined(container);
    if (container.isString()) {
        if (!item.isString()) throw Error(std::string("'in <string>' requires string as left operand, not ") + item.typeName());
        return container.s.find(item.s) != std::string::npos;
    }
    if (container.isList()) {
        for (const Value& x : *container.list)
            if (equals(x, item)) return true;
        return false;
    }
    if (container.isDict()) return item.isString() && container.dict->find(item.s) != nullptr;
    throw Error(std::string("argument of type '") + container.typeName() + "' is not iterable");
}

// A filter or test named in selectattr / map / select: an attribute path "a.b".
Value attributePath(const Value& v, const std::string& path) {
    Value cur = v;
    size_t pos = 0;
    while (true) {
        const size_t dot = path.find('.', pos);
        const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        cur = getItem(cur, Value::string(part));
        if (dot == std::string::npos) return cur;
        pos = dot + 1;
    }
}

Value selectOrReject(const Value& seq, CallArgs& args, bool byAttribute, bool keep) {
    List out;
    if (!seq.truthy()) return Value::makeList(); // Jinja2 skips a falsy sequence (None too)
    const size_t first = byAttribute ? 1 : 0;
    const std::string attr = byAttribute ? str(args.get(0, "attribute")) : std::string();
    const Value testName = args.get(first, "name");
    CallArgs testArgs;
    for (size_t k = first + 1; k < args.positional.size(); ++k) testArgs.positional.push_back(args.positional[k]);
    for (const Value& x : iterateValue(seq)) {
        const Value subject = byAttribute ? attributePath(x, attr) : x;
        const bool pass = testName.isUndefined() ? subject.truthy() : applyTest(str(testName), subject, testArgs);
        if (pass == keep) out.push_back(x);
    }
    return Value::makeList(std::move(out));
}

std::string indent(const std::string& text, const std::string& pad, bool first, bool blank) {
    std::string s = text + "\n";
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t nl = s.find('\n', pos);
        std::string line = s.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(line);
        pos = nl + 1;
    }
    std::string rv;
    if (blank) {
        for (size_t k = 0; k < lines.size(); ++k) rv += (k ? "\n" + pad : "") + lines[k];
    } else {
        rv = lines.empty() ? "" : lines[0];
        for (size_t k = 1; k < lines.size(); ++k) {
            rv += '\n';
            if (!lines[k].empty()) rv += pad;
            rv += lines[k];
        }
    }
    return first ? pad + rv : rv;
}

} // namespace

List iterateValue(const Value& v) {
    switch (v.kind) {
    case Value::Kind::Undefined: return {}; // Jinja2's Undefined iterates as empty
    case Value::Kind::List: return *v.list;
    case Value::Kind::Dict: {
        List keys;
        for (const auto& kv : v.dict->items) keys.push_back(Value::string(kv.first));
        return keys;
    }
    case Value::Kind::String: {
        List chars;
        for (auto& cp : codePoints(v.s)) chars.push_back(Value::string(cp));
        return chars;
    }
    default: throw Error(std::string("'") + v.typeName() + "' object is not iterable");
    }
}

Value getAttr(const Value& v, const std::string& name) {
    requireDefined(v);
    if (v.isDict()) {
        const Value m = v.isNamespace ? Value::undefined("") : boundMethod(v, name);
        if (!m.isUndefined()) return m;
        if (const Value* x = v.dict->find(name)) return *x;
        return noAttribute(v, name);
    }
    if (v.isList() && !name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) return getItem(v, Value::integer(std::stoll(name)));
    return boundMethod(v, name);
}

Value getItem(const Value& v, const Value& key) {
    requireDefined(v);
    if (v.isDict()) {
        if (key.isString())
            if (const Value* x = v.dict->find(key.s)) return *x;
        if (key.isString() && !v.isNamespace) {
            const Value m = boundMethod(v, key.s);
            if (!m.isUndefined()) return m;
        }
        return noAttribute(v, str(key));
    }
    if (v.isList() || v.isString()) {
        if (key.isString()) return boundMethod(v, key.s);
        const int64_t n = v.isList() ? int64_t(v.list->size()) : int64_t(codePoints(v.s).size());
        int64_t i = toIndex(key, v.typeName());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return noAttribute(v, str(key));
        return v.isList() ? (*v.list)[size_t(i)] : Value::string(codePoints(v.s)[size_t(i)]);
    }
    return noAttribute(v, str(key));
}

Value slice(const Value& v, const Value& startV, const Value& stopV, const Value& stepV) {
    requireDefined(v);
    if (!v.isList() && !v.isString()) throw Error(std::string("'") + v.typeName() + "' object is not subscriptable");
    const std::vector<std::string> cps = v.isString() ? codePoints(v.s) : std::vector<std::string>{};
    const int64_t n = v.isList() ? int64_t(v.list->size()) : int64_t(cps.size());
    const int64_t step = stepV.isNone() ? 1 : toIndex(stepV, "slice");
    if (step == 0) throw Error("slice step cannot be zero");
    auto norm = [&](const Value& x, int64_t dflt) {
        if (x.isNone()) return dflt;
        int64_t i = toIndex(x, "slice");
        if (i < 0) i += n;
        return step > 0 ? std::clamp<int64_t>(i, 0, n) : std::clamp<int64_t>(i, -1, n - 1);
    };
    const int64_t start = norm(startV, step > 0 ? 0 : n - 1), stop = norm(stopV, step > 0 ? n : -1);
    List items;
    std::string s;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (v.isList()) items.push_back((*v.list)[size_t(i)]);
        else s += cps[size_t(i)];
        if (step > 0 ? stop - i <= step : stop - i >= step) break; // the next index passes stop (and i + step could overflow)
    }
    return v.isList() ? Value::makeList(std::move(items)) : Value::string(s);
}

Value unaryOp(const std::string& op, const Value& a) {
    requireDefined(a);
    if (!a.isNumber()) throw Error("bad operand type for unary " + op + ": '" + a.typeName() + "'");
    if (op == "+") return a;
    return a.kind == Value::Kind::Float ? Value::real(-a.f) : Value::integer(intOp("-", 0, exactInt(a)));
}

Value binaryOp(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return Value::boolean(equals(a, b));
    if (op == "!=") return Value::boolean(!equals(a, b));
    if (op == "in") return Value::boolean(contains(b, a));
    if (op == "not in") return Value::boolean(!contains(b, a));
    if (op == "~") return Value::string(str(a) + str(b)); // an undefined side prints as "", as in Jinja2
    if (op == "<") return Value::boolean(compare(a, b) < 0);
    if (op == ">") return Value::boolean(compare(a, b) > 0);
    if (op == "<=") return Value::boolean(compare(a, b) <= 0);
    if (op == ">=") return Value::boolean(compare(a, b) >= 0);
    requireDefined(a);
    requireDefined(b);
    if (op == "+") {
        if (a.isString() && b.isString()) return Value::string(a.s + b.s);
        if (a.isList() && b.isList()) {
            List out = *a.list;
            out.insert(out.end(), b.list->begin(), b.list->end());
            return Value::makeList(std::move(out));
        }
    }
    if (op == "*" && ((a.isString() && b.kind == Value::Kind::Int) || (b.isString() && a.kind == Value::Kind::Int))) {
        const std::string& s = a.isString() ? a.s : b.s;
        const int64_t n = a.isString() ? b.i : a.i;
        if (n > 0 && s.size() * size_t(n) > (16u << 20)) throw Error("string repetition too large");
        std::string out;
        for (int64_t k = 0; k < n; ++k) out += s;
        return Value::string(out);
    }
    if (a.isNumber() && b.isNumber()) {
        const bool ints = a.kind != Value::Kind::Float && b.kind != Value::Kind::Float;
        const double x = a.number(), y = b.number();
        if ((op == "/" || op == "//" || op == "%") && y == 0) throw Error("division by zero");
        if (op == "/") return Value::real(x / y);
        if (ints && (op == "+" || op == "-" || op == "*" || op == "//" || op == "%" || (op == "**" && y >= 0)))
            return Value::integer(intOp(op, exactInt(a), exactInt(b))); // exact, not through doubles
        if (op == "+") return Value::real(x + y);
        if (op == "-") return Value::real(x - y);
        if (op == "*") return Value::real(x * y);
        if (op == "//") return Value::real(std::floor(x / y));
        if (op == "%") return Value::real(x - y * std::floor(x / y));
        if (op == "**") return Value::real(std::pow(x, y));
    }
    throw Error("unsupported operand type(s) for " + op + ": '" + a.typeName() + "' and '" + b.typeName() + "'");
}

bool applyTest(const std::string& name, const Value& v, CallArgs& args) {
    const Value arg = args.get(0, "value");
    if (name == "defined") return !v.isUndefined();
    if (name == "undefined") return v.isUndefined();
    if (name == "none") return v.isNone();
    if (name == "string") return v.isString();
    if (name == "mapping") return v.isDict();
    if (name == "iterable") return v.isList() || v.isDict() || v.isString() || v.isUndefined();
    if (name == "sequence") return v.isList() || v.isDict() || v.isString();
    if (name == "number") return v.isNumber(); // Python's bool is a Number too
    if (name == "integer") return v.kind == Value::Kind::Int;
    if (name == "float") return v.kind == Value::Kind::Float;
    if (name == "boolean") return v.kind == Value::Kind::Bool;
    if (name == "true") return v.kind == Value::Kind::Bool && v.b;
    if (name == "false") return v.kind == Value::Kind::Bool && !v.b;
    if (name == "callable") return v.isCallable();
    if (name == "equalto" || name == "eq" || name == "==" || name == "sameas") return equals(v, arg);
    if (name == "ne" || name == "!=") return !equals(v, arg);
    if (name == "lt" || name == "lessthan") return compare(v, arg) < 0;
    if (name == "le") return compare(v, arg) <= 0;
    if (name == "gt" || name == "greaterthan") return compare(v, arg) > 0;
    if (name == "ge") return compare(v, arg) >= 0;
    if (name == "in") return contains(arg, v);
    if (name == "odd" || name == "even" || name == "divisibleby") {
        requireDefined(v);
        if (v.kind != Value::Kind::Int) throw Error(std::string("test '") + name + "' needs an integer, got " + v.typeName());
        if (name == "odd") return v.i % 2 != 0;
        if (name == "even") return v.i % 2 == 0;
        const int64_t d = toIndex(arg, "divisibleby");
        return d != 0 && v.i % d == 0;
    }
    if (name == "lower") return v.isString() && caseMap(v.s, 0) == v.s;
    if (name == "upper") return v.isString() && caseMap(v.s, 1) == v.s;
    throw Error("no test named '" + name + "'");
}

Value applyFilter(const std::string& name, const Value& v, CallArgs& args) {
    if (name == "default" || name == "d") {
        const bool boolean = args.get(1, "boolean", Value::boolean(false)).truthy();
        return v.isUndefined() || (boolean && !v.truthy()) ? args.get(0, "default_value", Value::string("")) : v;
    }
    if (name == "safe" || name == "e" || name == "escape" || name == "forceescape") {
        if (name == "safe") return v;
        std::string out; // HTML escaping as markupsafe
        for (char c : str(v)) {
            switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
            }
        }
        return Value::string(out);
    }
    if (name == "length" || name == "count") {
        if (v.isString()) return Value::integer(int64_t(codePoints(v.s).size()));
        if (v.isList()) return Value::integer(int64_t(v.list->size()));
        if (v.isDict()) return Value::integer(int64_t(v.dict->items.size()));
        if (v.isUndefined()) return Value::integer(0);
        throw Error(std::string("object of type '") + v.typeName() + "' has no len()");
    }
    if (name == "string") return Value::string(str(v));
    if (name == "list") return Value::makeList(iterateValue(v));
    if (name == "tojson") {
        const Value ind = args.get(0, "indent");
        try {
            return Value::string(toJson(v, ind.kind == Value::Kind::Int ? int(ind.i) : -1));
        } catch (const std::runtime_error& e) {
            requireDefined(v);
            throw Error(e.what());
        }
    }
    if (name == "items") {
        requireDefined(v);
        if (!v.isDict()) throw Error(std::string("can only get items of a mapping, not ") + v.typeName());
        List out;
        for (const auto& [k, x] : v.dict->items) out.push_back(Value::makeList({Value::string(k), x}));
        return Value::makeList(std::move(out));
    }
    if (name == "dictsort") {
        requireDefined(v);
        if (!v.isDict()) throw Error("dictsort needs a mapping");
        auto items = v.dict->items;
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return caseMap(a.first, 0) < caseMap(b.first, 0); });
        List out;
        for (const auto& [k, x] : items) out.push_back(Value::makeList({Value::string(k), x}));
        return Value::makeList(std::move(out));
    }
    if (name == "join") {
        const std::string sep = str(args.get(0, "d", Value::string("")));
        const Value attr = args.get(1, "attribute");
        std::string out;
        bool first = true;
        for (const Value& x : iterateValue(v)) {
            out += (first ? "" : sep) + str(attr.isUndefined() ? x : attributePath(x, str(attr)));
            first = false;
        }
        return Value::string(out);
    }
    if (name == "first" || name == "last") {
        const List items = iterateValue(v);
        if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
        return name == "first" ? items.front() : items.back();
    }
    if (name == "reverse") {
        if (v.isString()) {
            auto cps = codePoints(v.s);
            std::string out;
            for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
            return Value::string(out);
        }
        List items = iterateValue(v);
        std::reverse(items.begin(), items.end());
        return Value::makeList(std::move(items));
    }
    if (name == "unique") {
        List out;
        for (const Value& x : iterateValue(v)) {
            bool seen = false;
            for (const Value& y : out) seen |= equals(x, y);
            if (!seen) out.push_back(x);
        }
        return Value::makeList(std::move(out));
    }
    if (name == "sort") {
        List items = iterateValue(v);
        const bool rev = args.get(0, "reverse", Value::boolean(false)).truthy();
        const Value attr = args.get(2, "attribute");
        std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
            const Value x = attr.isUndefined() ? a : attributePath(a, str(attr)), y = attr.isUndefined() ? b : attributePath(b, str(attr));
            return rev ? compare(y, x) < 0 : compare(x, y) < 0;
        });
        return Value::makeList(std::move(items));
    }
    if (name == "selectattr" || name == "rejectattr") return selectOrReject(v, args, true, name == "selectattr");
    if (name == "select" || name == "reject") return selectOrReject(v, args, false, name == "select");
    if (name == "map") {
        List out;
        if (!v.truthy()) return Value::makeList(); // as Jinja2: a falsy sequence maps to nothing
        const Value attr = args.get(99, "attribute");
        const Value dflt = args.get(99, "default");
        if (!attr.isUndefined()) {
            for (const Value& x : iterateValue(v)) {
                Value y = attributePath(x, str(attr));
                out.push_back(y.isUndefined() && !dflt.isUndefined() ? dflt : y);
            }
        } else {
            const std::string filter = str(args.get(0, "name"));
            CallArgs rest;
            for (size_t k = 1; k < args.positional.size(); ++k) rest.positional.push_back(args.positional[k]);
            for (const Value& x : iterateValue(v)) out.push_back(applyFilter(filter, x, rest));
        }
        return Value::makeList(std::move(out));
    }
    if (name == "trim") {
        requireDefined(v);
        return Value::string(strip(str(v), args.get(0, "chars"), true, true));
    }
    if (name == "lower" || name == "upper" || name == "capitalize" || name == "title") {
        requireDefined(v);
        return Value::string(caseMap(str(v), name == "lower" ? 0 : name == "upper" ? 1 : name == "capitalize" ? 2 : 3));
    }
    if (name == "replace") {
        requireDefined(v);
        const Value count = args.get(2, "count");
        return Value::string(replaceAll(str(v), str(args.get(0, "old")), str(args.get(1, "new")), count.kind == Value::Kind::Int ? count.i : -1));
    }
    if (name == "indent") {
        const Value w = args.get(0, "width", Value::integer(4));
        const std::string pad = w.isString() ? w.s : std::string(size_t(std::max<int64_t>(0, toIndex(w, "indent"))), ' ');
        return Value::string(indent(str(v), pad, args.get(1, "first", Value::boolean(false)).truthy(), args.get(2, "blank", Value::boolean(false)).truthy()));
    }
    if (name == "int") {
        if (v.kind == Value::Kind::Float) return Value::integer(intFromDouble(v.f, "int"));
        if (v.isNumber()) return Value::integer(exactInt(v));
        if (v.isString()) {
            try {
                size_t used = 0;
                const long long x = std::stoll(strip(v.s, Value::none(), true, true), &used);
                return Value::integer(x);
            } catch (const std::exception&) {
            }
        }
        return args.get(0, "default", Value::integer(0));
    }
    if (name == "float") {
        if (v.isNumber()) return Value::real(v.number());
        if (v.isString()) {
            try {
                return Value::real(std::stod(v.s));
            } catch (const std::exception&) {
            }
        }
        return args.get(0, "default", Value::real(0));
    }
    if (name == "abs") {
        requireDefined(v);
        if (v.kind == Value::Kind::Float) return Value::real(std::fabs(v.f));
        if (v.isNumber()) return Value::integer(exactInt(v) < 0 ? intOp("-", 0, exactInt(v)) : exactInt(v));
        throw Error(std::string("bad operand type for abs(): '") + v.typeName() + "'");
    }
    if (name == "round") {
        requireDefined(v);
        const int64_t prec = args.get(0, "precision", Value::integer(0)).i;
        const double scale = std::pow(10.0, double(prec));
        return Value::real(std::nearbyint(v.number() * scale) / scale);
    }
    if (name == "wordcount") return Value::integer(int64_t(split(str(v), Value::none(), -1).list->size()));
    if (name == "sum" || name == "min" || name == "max") {
        const List items = iterateValue(v);
        if (name == "sum") {
            Value acc = Value::integer(0);
            for (const Value& x : items) acc = binaryOp("+", acc, x);
            return acc;
        }
        if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
        Value best = items[0];
        for (const Value& x : items)
            if (name == "min" ? compare(x, best) < 0 : compare(x, best) > 0) best = x;
        return best;
    }
    throw Error("no filter named '" + name + "'");
}

std::map<std::string, Value> standardGlobals(const std::string& now) {
    std::map<std::string, Value> g;
    g["raise_exception"] = Value::function([](CallArgs& a) -> Value { throw TemplateRaise(str(a.get(0, "message"))); });
    g["strftime_now"] = Value::function([now](CallArgs& a) {
        std::tm tm{};
        int y = 1970, m = 1, d = 1;
        if (std::sscanf(now.c_str(), "%d-%d-%d", &y, &m, &d) != 3) throw Error("strftime_now: the date '" + now + "', expected YYYY-MM-DD");
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_isdst = -1;
        std::time_t t = timegm(&tm);
        gmtime_r(&t, &tm);
        const std::string fmt = str(a.get(0, "format"));
        char buf[256];
        const size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
        return Value::string(std::string(buf, n));
    });
    g["namespace"] = Value::function([](CallArgs& a) {
        Value ns = Value::makeDict();
        ns.isNamespace = true;
        for (const Value& p : a.positional)
            if (p.isDict())
                for (const auto& [k, v] : p.dict->items) ns.dict->set(k, v);
        for (const auto& [k, v] : a.keyword) ns.dict->set(k, v);
        return ns;
    });
    g["dict"] = Value::function([](CallArgs& a) {
        Value d = Value::makeDict();
        for (const auto& [k, v] : a.keyword) d.dict->set(k, v);
        return d;
    });
    g["range"] = Value::function([](CallArgs& a) {
        int64_t start = 0, stop = 0, step = 1;
        if (a.positional.size() == 1) stop = toIndex(a.positional[0], "range");
        else if (a.positional.size() >= 2) {
            start = toIndex(a.positional[0], "range");
            stop = toIndex(a.positional[1], "range");
            if (a.positional.size() > 2) step = toIndex(a.positional[2], "range");
        }
        if (step == 0) throw Error("range() arg 3 must not be zero");
        List out;
        for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
            out.push_back(Value::integer(i));
            if (out.size() > 1'000'000) throw Error("range() longer than 1,000,000 items");
            if (__builtin_add_overflow(i, step, &i)) break; // past the 64-bit range is past stop
        }
        return Value::makeList(std::move(out));
    });
    return g;
}

} // namespace qb::jinja
