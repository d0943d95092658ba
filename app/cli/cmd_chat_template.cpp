// quantbench-cli chat-template: a model's (or a file's) chat template rendered
// for a conversation, exactly as Hugging Face transformers renders it.
#include "chat/chat_template.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "model/model.h"

#include <cstdio>
#include <regex>

namespace qbcli {

int cmdChatTemplate(const Argv& argv) {
    Args args(argv, {"--add-generation-prompt"}, {"--template", "--messages", "--bos-token", "--eos-token", "--now", "--tokenizer"});
    if (!args.has("--messages")) throw qb::Error("chat-template: --messages FILE.json is required (a list of {\"role\", \"content\"})");
    const bool fromFile = args.has("--template");
    if (fromFile == (args.positional().size() == 1) || args.positional().size() > 1)
        throw qb::Error("chat-template: give a MODEL or --template FILE (one of them)");
    std::string source;
    qb::ChatTemplateOptions o;
    if (fromFile) {
        source = readTextFile(args.get("--template"));
    } else {
        qb::LoadOptions lo;
        lo.vocabOnly = true;
        lo.tokenizerPath = args.get("--tokenizer");
        const auto model = qb::loadModel(args.positional()[0], lo);
        if (!model->vocab || model->vocab->chatTemplate.empty())
            throw qb::fileError(model->path, "has no chat template (tokenizer.chat_template): it chats in plain completion mode");
        source = model->vocab->chatTemplate;
        const auto& v = *model->vocab;
        if (v.bos >= 0 && v.bos < v.size()) o.bosToken = v.tokens[size_t(v.bos)];
        if (v.eos >= 0 && v.eos < v.size()) o.eosToken = v.tokens[size_t(v.eos)];
    }
    if (args.has("--bos-token")) o.bosToken = args.get("--bos-token");
    if (args.has("--eos-token")) o.eosToken = args.get("--eos-token");
    o.now = args.get("--now");
    if (!o.now.empty() && !std::regex_match(o.now, std::regex(R"(\d{4}-\d{2}-\d{2})")))
        throw qb::Error("option '--now': '" + o.now + "', expected YYYY-MM-DD");
    o.addGenerationPrompt = args.flag("--add-generation-prompt");
    const std::string messagesPath = args.get("--messages");
    nlohmann::ordered_json messages;
    try {
        messages = nlohmann::ordered_json::parse(readTextFile(messagesPath));
    } catch (const nlohmann::json::parse_error& e) {
        throw qb::fileError(messagesPath, std::string("not valid JSON (") + e.what() + "), expected a list of {\"role\", \"content\"}");
    }
    if (!messages.is_array()) throw qb::fileError(messagesPath, "expected a JSON list of {\"role\", \"content\"} objects");
    for (size_t i = 0; i < messages.size(); ++i)
        if (!messages[i].is_object() || !messages[i].contains("role") || !messages[i]["role"].is_string())
            throw qb::fileError(messagesPath, "message " + std::to_string(i) + ": expected an object with a string \"role\"");
    std::string text;
    try {
        text = qb::renderChatTemplate(source, messages, o);
    } catch (const qb::Error& e) {
        if (!fromFile) throw;
        throw qb::fileError(args.get("--template"), e.what(), e.kind()); // name the template file
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

} // namespace qbcli
