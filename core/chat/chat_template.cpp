#include "chat/chat_template.h"

#include "chat/jinja_builtins.h"
#include "chat/jinja_parser.h"
#include "chat/jinja_render.h"
#include "common/error.h"
#include "common/utc_time.h"


namespace qb {

void checkChatTemplate(const std::string& source) {
    try {
        jinja::parseTemplate(source);
    } catch (const Error& e) {
        throw Error(std::string("chat template: ") + e.what());
    }
}

std::string renderChatTemplate(const std::string& source, const nlohmann::ordered_json& messages, const ChatTemplateOptions& o) {
    if (!messages.is_array()) throw Error("chat template: messages must be a list of {\"role\", \"content\"} objects");
    jinja::Template t;
    try {
        t = jinja::parseTemplate(source);
    } catch (const Error& e) {
        throw Error(std::string("chat template: ") + e.what());
    }
    auto globals = jinja::standardGlobals(o.now.empty() ? utcNow("%Y-%m-%d") : o.now);
    globals["messages"] = jinja::fromJson(messages);
    globals["add_generation_prompt"] = jinja::Value::boolean(o.addGenerationPrompt);
    globals["bos_token"] = jinja::Value::string(o.bosToken);
    globals["eos_token"] = jinja::Value::string(o.eosToken);
    if (o.extra.is_object())
        for (const auto& [k, v] : o.extra.items()) globals[k] = jinja::fromJson(v);
    try {
        return jinja::render(t, globals, o.limits);
    } catch (const jinja::TemplateRaise& e) {
        throw ChatTemplateRaised(std::string("chat template raised: ") + e.what());
    } catch (const Error& e) {
        throw Error(std::string("chat template: ") + e.what());
    }
}

} // namespace qb
