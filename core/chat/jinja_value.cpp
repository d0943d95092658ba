#include "chat/jinja_value.h"

#include "common/error.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace qb::jinja {

Value Value::makeList(List items) {
    Value v;
    v.kind = Kind::List;
    v.list = std::make_shared<List>(std::move(items));
    return v;
}

Value Value::makeDict() {
    Value v;
    v.kind = Kind::Dict;
    v.dict = std::make_shared<Dict>();
    return v;
}

Value Value::function(Function f) {
    Value v;
    v.kind = Kind::Function;
    v.fn = std::make_shared<Function>(std::move(f));
    return v;
}

bool Value::truthy() const {
    switch (kind) {
    case Kind::Undefined: case Kind::None: return false;
    case Kind::Bool: return b;
    case Kind::Int: return i != 0;
    case Kind::Float: return f != 0;
    case Kind::String: return !s.empty();
    case Kind::List: return !list->empty();
    case Kind::Dict: return !dict->items.empty();
    case Kind::Function: return true;
    }
    return false;
}

const char* Value::typeName() const {
    switch (kind) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return "list";
    case Kind::Dict: return isNamespace ? "Namespace" : "dict";
    case Kind::Function: return "function";
    }
    return "object";
}

const Value* Dict::find(const std::string& key) const {
    for (const auto& [k, v] : items)
        if (k == key) return &v;
    return nullptr;
}

void Dict::set(const std::string& key, Value v) {
    for (auto& [k, old] : items)
        if (k == key) {
            old = std::move(v);
            return;
        }
    items.emplace_back(key, std::move(v));
}

Value CallArgs::get(size_t i, const std::string& name, Value fallback) const {
    if (i < positional.size()) return positional[i];
    for (const auto& [k, v] : keyword)
        if (k == name) return v;
    return fallback;
}

namespace {

// Python's repr() of a float: the shortest digits that read back the same.
std::string floatRepr(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[64];
    for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    // buf is d.ddde±XX: rebuild it in Python's layout
    std::string s = buf;
    const size_t e = s.find('e');
    std::string mant = s.substr(0, e);
    const int exp = std::atoi(s.c_str() + e + 1);
    bool neg = mant[0] == '-';
    if (neg) mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out;
    if (exp < -4 || exp >= 16) {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    } else if (exp < 0) {
        out = "0.";
        out.append(size_t(-exp - 1), '0');
        out += digits;
    } else {
        if (digits.size() <= size_t(exp) + 1) out = digits + std::string(size_t(exp) + 1 - digits.size(), '0') + ".0";
        else out = digits.substr(0, size_t(exp) + 1) + "." + digits.substr(size_t(exp) + 1);
    }
    if (neg) out.insert(out.begin(), '-');
    return out;
}

std::string stringRepr(const std::string& s) {
    const bool hasSingle = s.find('\'') != std::string::npos, hasDouble = s.find('"') != std::string::npos;
    const char q = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, q);
    for (unsigned char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == q) out += std::string("\\") + char(q);
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else out += char(c);
    }
    return out + char(q);
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", c);
                out += b;
            } else out += char(c);
        }
    }
    return out + "\"";
}

} // namespace

namespace {
thread_local int t_walkDepth = 0;
} // namespace

WalkDepth::WalkDepth() {
    if (++t_walkDepth > kMaxDepth) {
        --t_walkDepth;
        throw Error("a value nested deeper than " + std::to_string(kMaxDepth) + " levels (a list or dict that contains itself?)");
    }
}
WalkDepth::~WalkDepth() { --t_walkDepth; }

std::string repr(const Value& v) {
    const WalkDepth guard;
    switch (v.kind) {
    case Value::Kind::String: return stringRepr(v.s);
    case Value::Kind::List: {
        std::string out = "[";
        for (size_t k = 0; k < v.list->size(); ++k) out += (k ? ", " : "") + repr((*v.list)[k]);
        return out + "]";
    }
    case Value::Kind::Dict: {
        std::string out = v.isNamespace ? "<Namespace {" : "{";
        bool first = true;
        for (const auto& [k, x] : v.dict->items) {
            out += (first ? "" : ", ") + stringRepr(k) + ": " + repr(x);
            first = false;
        }
        return out + (v.isNamespace ? "}>" : "}");
    }
    default: return str(v);
    }
}

std::string str(const Value& v) {
    switch (v.kind) {
    case Value::Kind::Undefined: return "";
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return v.b ? "True" : "False";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::Float: return floatRepr(v.f);
    case Value::Kind::String: return v.s;
    case Value::Kind::Function: return "<function>";
    default: return repr(v);
    }
}

std::string toJson(const Value& v, int indent, int depth) {
    const WalkDepth guard;
    // json.dumps with indent: a newline and the next level's indentation before each item
    auto newline = [&](int level) { return indent >= 0 ? std::string(1, '\n').append(size_t(indent) * size_t(level), ' ') : std::string(); };
    const std::string nl = newline(depth + 1), close = newline(depth);
    const std::string sep = indent >= 0 ? "," : ", ";
    switch (v.kind) {
    case Value::Kind::None: return "null";
    case Value::Kind::Bool: return v.b ? "true" : "false";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::Float: return std::isfinite(v.f) ? floatRepr(v.f) : std::isnan(v.f) ? "NaN" : v.f > 0 ? "Infinity" : "-Infinity";
    case Value::Kind::String: return jsonString(v.s);
    case Value::Kind::List: {
        if (v.list->empty()) return "[]";
        std::string out = "[";
        for (size_t k = 0; k < v.list->size(); ++k) out += (k ? sep : "") + nl + toJson((*v.list)[k], indent, depth + 1);
        return out + close + "]";
    }
    case Value::Kind::Dict: {
        if (v.dict->items.empty()) return "{}";
        std::string out = "{";
        bool first = true;
        for (const auto& [k, x] : v.dict->items) {
            out += (first ? "" : sep) + nl + jsonString(k) + ": " + toJson(x, indent, depth + 1);
            first = false;
        }
        return out + close + "}";
    }
    case Value::Kind::Undefined: throw std::runtime_error("Object of type Undefined is not JSON serializable");
    case Value::Kind::Function: throw std::runtime_error("Object of type function is not JSON serializable");
    }
    return "null";
}

bool reaches(const Value& v, const Dict* d) {
    const WalkDepth guard;
    if (v.kind == Value::Kind::Dict) {
        if (v.dict.get() == d) return true;
        for (const auto& [k, x] : v.dict->items)
            if (reaches(x, d)) return true;
    } else if (v.kind == Value::Kind::List) {
        for (const Value& x : *v.list)
            if (reaches(x, d)) return true;
    }
    return false;
}

bool equals(const Value& a, const Value& b) {
    const WalkDepth guard;
    if (a.isNumber() && b.isNumber()) return a.number() == b.number();
    if (a.kind != b.kind) return false;
    // the same list or dict is equal to itself (Python compares container items by identity first)
    if ((a.kind == Value::Kind::List && a.list == b.list) || (a.kind == Value::Kind::Dict && a.dict == b.dict)) return true;
    switch (a.kind) {
    case Value::Kind::Undefined: case Value::Kind::None: return true;
    case Value::Kind::String: return a.s == b.s;
    case Value::Kind::List:
        if (a.list->size() != b.list->size()) return false;
        for (size_t k = 0; k < a.list->size(); ++k)
            if (!equals((*a.list)[k], (*b.list)[k])) return false;
        return true;
    case Value::Kind::Dict:
        if (a.dict->items.size() != b.dict->items.size()) return false;
        for (const auto& [k, x] : a.dict->items) {
            const Value* y = b.dict->find(k);
            if (!y || !equals(x, *y)) return false;
        }
        return true;
    case Value::Kind::Function: return a.fn == b.fn;
    default: return false;
    }
}

Value fromJson(const nlohmann::ordered_json& j) {
    const WalkDepth guard;
    if (j.is_null()) return Value::none();
    if (j.is_boolean()) return Value::boolean(j.get<bool>());
    if (j.is_number_integer()) return Value::integer(j.get<int64_t>());
    if (j.is_number()) return Value::real(j.get<double>());
    if (j.is_string()) return Value::string(j.get<std::string>());
    if (j.is_array()) {
        List items;
        for (const auto& x : j) items.push_back(fromJson(x));
        return Value::makeList(std::move(items));
    }
    Value d = Value::makeDict();
    for (const auto& [k, x] : j.items()) d.dict->set(k, fromJson(x));
    return d;
}

} // namespace qb::jinja
