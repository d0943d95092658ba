#pragma once
// Template text -> Template (jinja_ast.h), as Jinja2 reads it with
// trim_blocks and lstrip_blocks on (Hugging Face's settings): {%- -%} and
// {{- -}} strip whitespace, a block tag eats the newline after it, and
// spaces before a block tag at the start of a line are dropped. Anything
// outside the supported subset is an error naming the line and column.
#include "chat/jinja_ast.h"

#include <string>

namespace qb::jinja {

// Throws qb::Error "template line L, column C: what, expected ...".
Template parseTemplate(const std::string& source);

} // namespace qb::jinja
