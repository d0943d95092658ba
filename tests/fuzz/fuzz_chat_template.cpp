// Chat templates are untrusted input: parse and render arbitrary template text
// against a fixed conversation (bounded loops, recursion and output size keep
// every input cheap). Any crash or sanitizer report is a bug; qb::Error is the
// expected refusal.
#include "chat/chat_template.h"
#include "common/error.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Caf\u00e9 \u2615"},
            {"role": "assistant", "content": "  ok  "}, {"role": "user", "content": "more"}])");
    const std::string source(reinterpret_cast<const char*>(data), size);
    qb::ChatTemplateOptions o;
    o.addGenerationPrompt = size % 2 == 0;
    o.bosToken = "<s>";
    o.eosToken = "</s>";
    o.now = "2024-07-26";
    try {
        (void)qb::renderChatTemplate(source, messages, o);
    } catch (const qb::Error&) {
    }
    return 0;
}
