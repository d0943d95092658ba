#pragma once
// Values of the chat-template interpreter (a sandboxed Jinja subset, see
// chat_template.h): what Python's Jinja2 would hold — undefined, None, bool,
// int, float, str, list, dict (insertion-ordered) and callables (macros,
// raise_exception, namespace(), bound methods). Lists and dicts are shared
// by reference, as in Python.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace qb::jinja {

struct Value;
using List = std::vector<Value>;
struct Dict;
struct CallArgs;
using Function = std::function<Value(CallArgs&)>;

struct Value {
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Function };
    Kind kind = Kind::Undefined;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s;                  // String; for Undefined: the message an operation on it raises
    std::shared_ptr<List> list;
    std::shared_ptr<Dict> dict;
    std::shared_ptr<Function> fn;
    bool isNamespace = false;       // a namespace(): attributes may be assigned

    static Value undefined(std::string why) { Value v; v.s = std::move(why); return v; }
    static Value none() { Value v; v.kind = Kind::None; return v; }
    static Value boolean(bool x) { Value v; v.kind = Kind::Bool; v.b = x; return v; }
    static Value integer(int64_t x) { Value v; v.kind = Kind::Int; v.i = x; return v; }
    static Value real(double x) { Value v; v.kind = Kind::Float; v.f = x; return v; }
    static Value string(std::string x) { Value v; v.kind = Kind::String; v.s = std::move(x); return v; }
    static Value makeList(List items = {});
    static Value makeDict();
    static Value function(Function f);

    bool isUndefined() const { return kind == Kind::Undefined; }
    bool isNone() const { return kind == Kind::None; }
    bool isString() const { return kind == Kind::String; }
    bool isNumber() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
    bool isList() const { return kind == Kind::List; }
    bool isDict() const { return kind == Kind::Dict; }
    bool isCallable() const { return kind == Kind::Function; }
    double number() const { return kind == Kind::Float ? f : kind == Kind::Bool ? double(b) : double(i); }
    bool truthy() const;
    const char* typeName() const; // Python's: 'str', 'list', 'dict', ...
};

struct Dict {
    std::vector<std::pair<std::string, Value>> items;
    const Value* find(const std::string& key) const;
    void set(const std::string& key, Value v);
};

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;
    // positional i, else keyword `name`, else `fallback`
    Value get(size_t i, const std::string& name, Value fallback = Value::undefined("")) const;
};

// Lists and dicts are shared by reference, as in Python, so a value can contain
// itself ({% set ns.n = ns %}). Every recursive walk over a value (repr, tojson,
// ==, <) holds one of these: past kMaxDepth levels it throws qb::Error instead of
// overflowing the stack. Per thread: two chat sessions render at once.
class WalkDepth {
public:
    static constexpr int kMaxDepth = 100;
    WalkDepth();
    ~WalkDepth();
    WalkDepth(const WalkDepth&) = delete;
    WalkDepth& operator=(const WalkDepth&) = delete;
};

// Python's str() and repr(), and json.dumps(ensure_ascii=False, indent).
std::string str(const Value& v);
std::string repr(const Value& v);
std::string toJson(const Value& v, int indent = -1, int depth = 0);
// Whether `v` is, or holds at any depth, the dict `d` (a namespace being assigned into).
bool reaches(const Value& v, const Dict* d);
// Equality as Python's ==.
bool equals(const Value& a, const Value& b);

Value fromJson(const nlohmann::ordered_json& j);

} // namespace qb::jinja
