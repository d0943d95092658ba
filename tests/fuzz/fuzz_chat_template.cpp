// Chat templates are untrusted input: parse and render arbitrary template text
// against a fixed conversation. Loops, recursion and output are bounded tighter
// than for users (the bounds themselves are tested in test_chat_template), so
// every input stays cheap: a corpus of templates that loop up to a million
// times ran at a tenth of the seeds' rate. Any crash or sanitizer report is a
// bug; qb::Error is the expected refusal.
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
    o.limits.maxLoopIterations = 2'000;
    o.limits.maxOutputBytes = 64u << 10;
    try {
        (void)qb::renderChatTemplate(source, messages, o);
    } catch (const qb::Error&) {
    }
    return 0;
}
