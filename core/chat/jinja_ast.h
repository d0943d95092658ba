#pragma once
// The parsed form of a chat template: expressions and statements, each with
// the line and column it came from (for error messages).
#include "chat/jinja_value.h"

#include <memory>
#include <string>
#include <vector>

namespace qb::jinja {

struct Pos {
    int line = 1, column = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,   // value
        Name,      // name
        List,      // items
        Tuple,     // items (a list at run time)
        Dict,      // keys[i] : items[i]
        Attr,      // a.name
        Index,     // a[b]
        Slice,     // a[b:c:d] (items: start, stop, step; null = absent)
        Call,      // a(args, kwargs)
        Filter,    // a | name(args)  (a may be null inside {% filter %})
        Test,      // a is [not] name(args)
        Unary,     // op a          ("not", "-", "+")
        Binary,    // a op b        ("+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or")
        Cond,      // a if b else c
    };
    Kind kind;
    Pos pos;
    Value value;
    std::string name;                 // Name, Attr, Filter, Test, operator
    bool negated = false;             // Test: "is not"
    ExprPtr a, b, c;
    std::vector<ExprPtr> items;       // List, Tuple, Dict values, Call/Filter/Test positional args, Slice parts
    std::vector<ExprPtr> keys;        // Dict keys
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
    enum class Kind { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, Break, Continue };
    Kind kind;
    Pos pos;
    std::string text;                          // Text
    ExprPtr expr;                              // Output, Set value, For iterable, FilterBlock filter, CallBlock call
    std::vector<std::pair<ExprPtr, Body>> branches; // If: (condition, body)...; else is a null condition
    std::vector<std::string> targets;          // For / Set: names assigned ("ns.attr" for namespace attributes)
    ExprPtr filterCond;                        // For: "for x in xs if cond"
    Body body, elseBody;                       // For / Macro / SetBlock / CallBlock / FilterBlock
    std::string name;                          // Macro
    std::vector<std::pair<std::string, ExprPtr>> params; // Macro: name and default (may be null)
};

struct Template {
    Body body;
};

} // namespace qb::jinja
