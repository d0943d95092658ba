#pragma once
// Renders a parsed template with a set of global variables, as Jinja2's
// sandboxed environment would (the filters, tests and methods that real chat
// templates use). Untrusted templates are bounded: loop iterations, macro
// recursion and output size all have limits, each an error when exceeded.
#include "chat/jinja_ast.h"

#include <map>
#include <string>

namespace qb::jinja {

struct RenderLimits {
    int64_t maxLoopIterations = 1'000'000; // over the whole render
    int maxCallDepth = 64;                 // macro recursion
    size_t maxOutputBytes = 16u << 20;
};

// Raised by the template itself (raise_exception, or an operation on an
// undefined value): qb::Error with this kind of message, e.g.
// "template raised: Conversation roles must alternate user/assistant".
std::string render(const Template& t, const std::map<std::string, Value>& globals, const RenderLimits& limits = {});

} // namespace qb::jinja
