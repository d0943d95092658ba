#pragma once
// Chat templates: the Jinja source a model carries (GGUF
// tokenizer.chat_template, HF tokenizer_config.json) rendered exactly as
// Hugging Face transformers' apply_chat_template does (Jinja2, trim_blocks,
// lstrip_blocks, loop controls, tojson keeping non-ASCII, raise_exception,
// strftime_now), by the sandboxed interpreter in chat/jinja_*.
#include "chat/jinja_render.h"
#include "common/error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace qb {

struct ChatTemplateOptions {
    bool addGenerationPrompt = false;
    std::string bosToken, eosToken;
    std::string now;                 // YYYY-MM-DD for strftime_now; empty = today (UTC)
    nlohmann::ordered_json extra;    // more variables (tools, documents, ...), an object or null
    jinja::RenderLimits limits;      // loop iterations, macro depth, output size (the fuzz target tightens them)
};

// The template itself refused the conversation (raise_exception): bad input,
// but not a template QuantBench failed to read.
class ChatTemplateRaised : public Error {
public:
    explicit ChatTemplateRaised(const std::string& message) : Error(message) {}
};

// `messages`: a list of {"role", "content", ...}. Throws qb::Error (bad input)
// naming the template's line and column for constructs it cannot read, and
// ChatTemplateRaised "chat template raised: MESSAGE" when the template itself refuses.
std::string renderChatTemplate(const std::string& source, const nlohmann::ordered_json& messages, const ChatTemplateOptions& options);

// Checks that `source` parses (the whole template; nothing is rendered).
void checkChatTemplate(const std::string& source);

} // namespace qb
