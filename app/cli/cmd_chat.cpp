// quantbench-cli chat: a conversation with a model (core/chat/chat_session.h),
// interactive on stdin (/reset, /regen, /quit) or scripted (--script FILE.json,
// a list of user messages) with a JSON transcript and per-turn statistics.
#include "chat/chat_session.h"
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace qbcli {

namespace {

nlohmann::json statsJson(const qb::TurnStats& s) {
    return {{"prompt_tokens", s.promptTokens},   {"evaluated", s.evaluated},       {"reused", s.reused},
            {"generated", s.generated},          {"dropped_messages", s.droppedMessages}, {"ttft_seconds", s.ttftSeconds},
            {"tokens_per_second", s.tokensPerSecond}, {"stop_reason", s.stopReason}, {"note", s.note}};
}

void printStats(const qb::TurnStats& s) {
    std::fprintf(stderr, "[%d prompt tokens: %d evaluated, %d reused; %d generated, TTFT %.0f ms, %.1f tok/s; %s]%s%s\n", s.promptTokens,
                 s.evaluated, s.reused, s.generated, 1e3 * s.ttftSeconds, s.tokensPerSecond, s.stopReason.c_str(), s.note.empty() ? "" : " ",
                 s.note.c_str());
}

} // namespace

int cmdChat(const Argv& argv) {
    Args args(argv, {},
              {"--system", "--template", "--script", "-n", "--max-tokens", "--stop", "--context-policy", "--temp", "--top-k", "--top-p", "--min-p",
               "--repeat-penalty", "--repeat-last-n", "--seed", "--device", "--tokenizer", "--threads", "--ctx", "--kv-type", "--now"});
    if (args.positional().size() != 1) throw qb::Error("chat: expected one MODEL path");
    const auto model = loadRunnableModel(args, args.positional()[0]);
    qb::ChatOptions o;
    o.systemPrompt = args.get("--system");
    const std::string tmpl = args.get("--template", "auto");
    if (tmpl == "auto" || tmpl == "none") o.templateMode = tmpl;
    else {
        o.templateMode = "custom";
        o.templateSource = readTextFile(tmpl);
    }
    o.now = args.get("--now");
    o.maxTokens = args.has("-n") ? args.getInt("-n", 256) : args.getInt("--max-tokens", 256);
    if (args.has("--stop")) o.stopStrings.push_back(args.get("--stop"));
    const std::string policy = args.get("--context-policy", "stop");
    if (policy != "stop" && policy != "drop-oldest") throw qb::Error("option '--context-policy': '" + policy + "', expected stop or drop-oldest");
    o.contextPolicy = policy == "stop" ? qb::ContextPolicy::Stop : qb::ContextPolicy::DropOldest;
    o.sampling = samplerParams(args, 0.8f);

    nlohmann::json script;
    if (args.has("--script")) {
        const std::string path = args.get("--script");
        try {
            script = nlohmann::json::parse(readTextFile(path));
        } catch (const nlohmann::json::parse_error& e) {
            throw qb::fileError(path, std::string("not valid JSON (") + e.what() + "), expected a list of user messages");
        }
        if (!script.is_array()) throw qb::fileError(path, "expected a JSON list of user messages (strings or {\"content\"})");
        for (size_t i = 0; i < script.size(); ++i) {
            auto& m = script[i];
            if (m.is_object() && m.contains("content") && m["content"].is_string()) m = m["content"];
            if (!m.is_string()) throw qb::fileError(path, "message " + std::to_string(i) + ": expected a string (or {\"content\": string})");
        }
    }
    const int ctx = args.getInt("--ctx", std::min(std::max(model->config.contextLength, 1), 4096));
    if (ctx < 2) throw qb::Error("option '--ctx': expected at least 2 tokens");
    const auto runner = openRunner(args, *model, ctx);
    qb::ChatSession session(*model, *runner->forward, o);
    if (!session.templateNote().empty()) std::fprintf(stderr, "note: %s\n", session.templateNote().c_str());
    JobProgress interrupt(false); // Ctrl-C stops the reply in progress
    const qb::CancelToken* cancel = interrupt.job().token();

    if (!script.is_null()) {
        nlohmann::json turns = nlohmann::json::array();
        for (const auto& m : script) {
            const qb::TurnStats s = session.send(m.get<std::string>(), {}, cancel);
            const auto& msgs = session.messages();
            turns.push_back({{"user", m}, {"assistant", s.stopReason == "context-full" && s.generated == 0 ? nlohmann::json(nullptr)
                                                                                                             : nlohmann::json(msgs.back().content)},
                             {"stats", statsJson(s)}});
        }
        nlohmann::json out{{"model", model->path},
                           {"device", runner->label},
                           {"template", session.usesTemplate() ? "chat template" : "plain transcript"},
                           {"template_note", session.templateNote()},
                           {"turns", turns}};
        std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    std::fprintf(stderr, "chat with %s on %s (/reset, /regen, /quit)\n", model->path.c_str(), runner->label.c_str());
    std::string line;
    while (true) {
        std::fprintf(stderr, "> ");
        if (!std::getline(std::cin, line) || line == "/quit") break;
        if (line.empty()) continue;
        try {
            qb::TurnStats s;
            auto print = [](const std::string& piece) {
                std::fputs(piece.c_str(), stdout);
                std::fflush(stdout);
            };
            interrupt.clearCancel();
            if (line == "/reset") {
                session.reset();
                std::fprintf(stderr, "(new conversation)\n");
                continue;
            }
            s = line == "/regen" ? session.regenerate(print, cancel) : session.send(line, print, cancel);
            std::printf("\n");
            std::fflush(stdout);
            printStats(s);
        } catch (const qb::Error& e) {
            if (e.kind() == qb::ErrorKind::Internal) throw;
            std::fprintf(stderr, "error: %s\n", e.what()); // the session goes on
        }
    }
    return 0;
}

} // namespace qbcli
