#pragma once
// What a chat template can do to values: attribute and item access, slices,
// operators, filters, tests, string/dict methods and the globals Hugging
// Face provides (raise_exception, strftime_now, namespace, range, dict) —
// each as Python's Jinja2 does it. Errors are qb::Error with Python's words
// ("'functions' is undefined"); raise_exception throws TemplateRaise.
#include "chat/jinja_value.h"
#include "common/error.h"

#include <map>
#include <string>

namespace qb::jinja {

class TemplateRaise : public Error {
public:
    explicit TemplateRaise(const std::string& message) : Error(message) {}
};

List iterateValue(const Value& v);
Value getAttr(const Value& v, const std::string& name);
Value getItem(const Value& v, const Value& key);
Value slice(const Value& v, const Value& start, const Value& stop, const Value& step);
Value unaryOp(const std::string& op, const Value& a);
Value binaryOp(const std::string& op, const Value& a, const Value& b);
Value applyFilter(const std::string& name, const Value& v, CallArgs& args);
bool applyTest(const std::string& name, const Value& v, CallArgs& args);

// raise_exception, strftime_now (answering from `now`, "YYYY-MM-DD"), namespace, range, dict.
std::map<std::string, Value> standardGlobals(const std::string& now);

} // namespace qb::jinja
