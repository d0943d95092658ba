#include "chat/jinja_render.h"

#include "chat/jinja_builtins.h"
#include "common/error.h"

#include <cmath>

namespace qb::jinja {

namespace {

struct BreakSignal {};
// An error that already names its template position (not wrapped again on its way out).
class PositionedError : public Error {
public:
    explicit PositionedError(const std::string& message) : Error(message) {}
};
struct ContinueSignal {};

class Renderer {
public:
    Renderer(const std::map<std::string, Value>& globals, const RenderLimits& limits) : m_limits(limits) {
        m_scopes.emplace_back();
        for (const auto& [k, v] : globals) m_scopes.back()[k] = v;
    }

    std::string run(const Template& t) {
        std::string out;
        exec(t.body, out);
        return out;
    }

private:
    using Scope = std::map<std::string, Value>;

    [[noreturn]] static void fail(Pos p, const std::string& what) {
        throw PositionedError("template line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": " + what);
    }

    Value lookup(const std::string& name) const {
        for (auto it = m_scopes.rbegin(); it != m_scopes.rend(); ++it) {
            auto f = it->find(name);
            if (f != it->end()) return f->second;
        }
        return Value::undefined("'" + name + "' is undefined");
    }

    void emit(std::string& out, const std::string& s, Pos p) {
        out += s;
        if (out.size() > m_limits.maxOutputBytes)
            fail(p, "output larger than " + std::to_string(m_limits.maxOutputBytes) + " bytes (a template that never ends?)");
    }

    void countIteration(Pos p) {
        if (++m_iterations > m_limits.maxLoopIterations)
            fail(p, "more than " + std::to_string(m_limits.maxLoopIterations) + " loop iterations (a template that never ends?)");
    }

    void exec(const Body& body, std::string& out) {
        for (const auto& s : body) execOne(*s, out);
    }

    void assign(const std::string& target, Value v, Pos p) {
        const size_t dot = target.find('.');
        if (dot == std::string::npos) {
            m_scopes.back()[target] = std::move(v);
            return;
        }
        Value ns = lookup(target.substr(0, dot));
        if (!ns.isDict() || !ns.isNamespace) fail(p, "cannot assign attribute '" + target.substr(dot + 1) + "' of " + ns.typeName() + ", expected a namespace()");
        // a namespace that held itself would be a reference cycle: never freed, endless to print
        if (reaches(v, ns.dict.get())) fail(p, "cannot assign namespace '" + target.substr(0, dot) + "' into itself (attribute '" + target.substr(dot + 1) + "')");
        ns.dict->set(target.substr(dot + 1), std::move(v));
    }

    void execOne(const Stmt& s, std::string& out) {
        switch (s.kind) {
        case Stmt::Kind::Text: emit(out, s.text, s.pos); return;
        case Stmt::Kind::Output: emit(out, str(eval(*s.expr)), s.pos); return;
        case Stmt::Kind::If:
            for (const auto& [cond, body] : s.branches)
                if (!cond || eval(*cond).truthy()) {
                    exec(body, out);
                    return;
                }
            return;
        case Stmt::Kind::For: execFor(s, out); return;
        case Stmt::Kind::Set: {
            Value v = eval(*s.expr);
            if (s.targets.size() == 1) {
                assign(s.targets[0], std::move(v), s.pos);
                return;
            }
            const List items = iterate(v, s.pos);
            if (items.size() != s.targets.size())
                fail(s.pos, "cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(s.targets.size()) + " names");
            for (size_t k = 0; k < items.size(); ++k) assign(s.targets[k], items[k], s.pos);
            return;
        }
        case Stmt::Kind::SetBlock: {
            std::string captured;
            exec(s.body, captured);
            Value v = Value::string(captured);
            if (s.expr) v = applyFilterChain(*s.expr, v);
            assign(s.targets[0], v, s.pos);
            return;
        }
        case Stmt::Kind::Macro: m_scopes.back()[s.name] = makeMacro(s, nullptr); return;
        case Stmt::Kind::CallBlock: {
            const Stmt* callerBody = &s;
            Value caller = Value::function([this, callerBody](CallArgs&) {
                std::string captured;
                m_scopes.emplace_back();
                exec(callerBody->body, captured);
                m_scopes.pop_back();
                return Value::string(captured);
            });
            m_scopes.emplace_back();
            m_scopes.back()["caller"] = caller;
            Value r = eval(*s.expr);
            m_scopes.pop_back();
            emit(out, str(r), s.pos);
            return;
        }
        case Stmt::Kind::FilterBlock: {
            std::string captured;
            exec(s.body, captured);
            emit(out, str(applyFilterChain(*s.expr, Value::string(captured))), s.pos);
            return;
        }
        case Stmt::Kind::Break: throw BreakSignal{};
        case Stmt::Kind::Continue: throw ContinueSignal{};
        }
    }

    // Applies the filters of a chain whose innermost base is null to `input`.
    Value applyFilterChain(const Expr& e, const Value& input) {
        if (e.kind != Expr::Kind::Filter) fail(e.pos, "expected a filter");
        const Value base = e.a ? applyFilterChain(*e.a, input) : input;
        CallArgs args = evalArgs(e);
        return callFilter(e.name, base, args, e.pos);
    }

    void execFor(const Stmt& s, std::string& out) {
        const Value seq = eval(*s.expr);
        List items = iterate(seq, s.expr->pos);
        if (s.filterCond) { // "for x in xs if cond": filtered before loop.* is computed
            List kept;
            for (const Value& item : items) {
                m_scopes.emplace_back();
                bind(s, item);
                const bool keep = eval(*s.filterCond).truthy();
                m_scopes.pop_back();
                if (keep) kept.push_back(item);
            }
            items = std::move(kept);
        }
        if (items.empty()) {
            exec(s.elseBody, out);
            return;
        }
        const int64_t n = int64_t(items.size());
        for (int64_t k = 0; k < n; ++k) {
            countIteration(s.pos);
            m_scopes.emplace_back();
            bind(s, items[size_t(k)]);
            Value loop = Value::makeDict();
            loop.dict->set("index", Value::integer(k + 1));
            loop.dict->set("index0", Value::integer(k));
            loop.dict->set("revindex", Value::integer(n - k));
            loop.dict->set("revindex0", Value::integer(n - k - 1));
            loop.dict->set("first", Value::boolean(k == 0));
            loop.dict->set("last", Value::boolean(k == n - 1));
            loop.dict->set("length", Value::integer(n));
            loop.dict->set("previtem", k > 0 ? items[size_t(k - 1)] : Value::undefined("'loop.previtem' is undefined"));
            loop.dict->set("nextitem", k + 1 < n ? items[size_t(k + 1)] : Value::undefined("'loop.nextitem' is undefined"));
            loop.dict->set("cycle", Value::function([k](CallArgs& a) {
                if (a.positional.empty()) throw Error("loop.cycle() needs at least one value");
                return a.positional[size_t(k) % a.positional.size()];
            }));
            m_scopes.back()["loop"] = loop;
            bool stop = false;
            try {
                exec(s.body, out);
            } catch (const BreakSignal&) {
                stop = true;
            } catch (const ContinueSignal&) {
            }
            m_scopes.pop_back();
            if (stop) break;
        }
    }

    void bind(const Stmt& s, const Value& item) {
        if (s.targets.size() == 1) {
            m_scopes.back()[s.targets[0]] = item;
            return;
        }
        const List parts = iterate(item, s.pos);
        if (parts.size() != s.targets.size())
            fail(s.pos, "cannot unpack " + std::to_string(parts.size()) + " values into " + std::to_string(s.targets.size()) + " loop variables");
        for (size_t k = 0; k < parts.size(); ++k) m_scopes.back()[s.targets[k]] = parts[k];
    }

    List iterate(const Value& v, Pos p) {
        return guarded(p, [&] { return iterateValue(v); });
    }

    Value makeMacro(const Stmt& s, const Value*) {
        const Stmt* def = &s;
        return Value::function([this, def](CallArgs& args) {
            if (++m_callDepth > m_limits.maxCallDepth) {
                --m_callDepth;
                fail(def->pos, "macro '" + def->name + "' nested deeper than " + std::to_string(m_limits.maxCallDepth) + " calls");
            }
            Scope frame;
            for (size_t k = 0; k < def->params.size(); ++k) {
                const auto& [name, dflt] = def->params[k];
                Value v = args.get(k, name);
                if (v.isUndefined() && !(k < args.positional.size())) {
                    bool given = false;
                    for (const auto& kw : args.keyword) given |= kw.first == name;
                    if (!given) v = dflt ? eval(*dflt) : Value::undefined("'" + name + "' is undefined");
                }
                frame[name] = v;
            }
            Value caller = lookup("caller");
            if (!caller.isUndefined()) frame["caller"] = caller;
            m_scopes.push_back(std::move(frame));
            std::string out;
            try {
                exec(def->body, out);
            } catch (...) {
                m_scopes.pop_back();
                --m_callDepth;
                throw;
            }
            m_scopes.pop_back();
            --m_callDepth;
            return Value::string(out);
        });
    }

    CallArgs evalArgs(const Expr& e) {
        CallArgs a;
        for (const auto& x : e.items) a.positional.push_back(x ? eval(*x) : Value::none());
        for (const auto& [k, x] : e.kwargs) a.keyword.emplace_back(k, eval(*x));
        return a;
    }

    Value callFilter(const std::string& name, const Value& v, CallArgs& args, Pos p) {
        return guarded(p, [&] { return applyFilter(name, v, args); });
    }

    Value eval(const Expr& e) {
        switch (e.kind) {
        case Expr::Kind::Literal: return e.value;
        case Expr::Kind::Name: return lookup(e.name);
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            List items;
            for (const auto& x : e.items) items.push_back(eval(*x));
            return Value::makeList(std::move(items));
        }
        case Expr::Kind::Dict: {
            Value d = Value::makeDict();
            for (size_t k = 0; k < e.keys.size(); ++k) {
                const Value key = eval(*e.keys[k]);
                if (!key.isString()) fail(e.keys[k]->pos, "dict keys must be strings here, found " + std::string(key.typeName()));
                d.dict->set(key.s, eval(*e.items[k]));
            }
            return d;
        }
        case Expr::Kind::Attr: return guarded(e.pos, [&] { return getAttr(eval(*e.a), e.name); });
        case Expr::Kind::Index: {
            const Value base = eval(*e.a);
            const Value key = eval(*e.b);
            return guarded(e.pos, [&] { return getItem(base, key); });
        }
        case Expr::Kind::Slice: {
            const Value base = eval(*e.a);
            Value parts[3];
            for (int k = 0; k < 3; ++k) parts[k] = e.items[size_t(k)] ? eval(*e.items[size_t(k)]) : Value::none();
            return guarded(e.pos, [&] { return slice(base, parts[0], parts[1], parts[2]); });
        }
        case Expr::Kind::Call: {
            const Value f = eval(*e.a);
            CallArgs args = evalArgs(e);
            if (f.isUndefined()) fail(e.pos, f.s.empty() ? "call of an undefined value" : f.s);
            if (!f.isCallable()) fail(e.pos, std::string("'") + f.typeName() + "' object is not callable");
            return guarded(e.pos, [&] { return (*f.fn)(args); });
        }
        case Expr::Kind::Filter: {
            const Value base = e.a ? eval(*e.a) : Value::undefined("");
            CallArgs args = evalArgs(e);
            return callFilter(e.name, base, args, e.pos);
        }
        case Expr::Kind::Test: {
            const Value base = eval(*e.a);
            CallArgs args = evalArgs(e);
            const bool r = guarded(e.pos, [&] { return applyTest(e.name, base, args); });
            return Value::boolean(e.negated ? !r : r);
        }
        case Expr::Kind::Unary: {
            const Value a = eval(*e.a);
            if (e.name == "not") return Value::boolean(!a.truthy());
            return guarded(e.pos, [&] { return unaryOp(e.name, a); });
        }
        case Expr::Kind::Binary: {
            if (e.name == "and") {
                const Value a = eval(*e.a);
                return a.truthy() ? eval(*e.b) : a;
            }
            if (e.name == "or") {
                const Value a = eval(*e.a);
                return a.truthy() ? a : eval(*e.b);
            }
            const Value a = eval(*e.a), b = eval(*e.b);
            return guarded(e.pos, [&] { return binaryOp(e.name, a, b); });
        }
        case Expr::Kind::Cond:
            if (eval(*e.b).truthy()) return eval(*e.a);
            return e.c ? eval(*e.c) : Value::undefined("the conditional expression's else branch is undefined");
        }
        fail(e.pos, "unknown expression");
    }

    // Runs `f`, turning a builtin's qb::Error into one that names the template position
    // (a template's own raise_exception passes through unchanged).
    template <class F>
    auto guarded(Pos p, F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const TemplateRaise&) {
            throw;
        } catch (const PositionedError&) {
            throw;
        } catch (const Error& err) {
            fail(p, err.what());
        }
    }

    const RenderLimits& m_limits;
    std::vector<Scope> m_scopes;
    int64_t m_iterations = 0;
    int m_callDepth = 0;
};

} // namespace

std::string render(const Template& t, const std::map<std::string, Value>& globals, const RenderLimits& limits) {
    return Renderer(globals, limits).run(t);
}

} // namespace qb::jinja
