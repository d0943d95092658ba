// quantbench-cli tokenize / detokenize, as llama.cpp's llama-tokenize.
#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "model/model.h"
#include "model/tokenizer.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

namespace {

std::shared_ptr<const qb::Vocab> loadVocab(const std::string& path, const std::string& tokenizerPath) {
    qb::LoadOptions opts;
    opts.tokenizerPath = tokenizerPath;
    opts.vocabOnly = true;
    auto model = qb::loadModel(path, opts);
    if (!model->vocab) throw qb::fileError(path, "has no tokenizer (for a llama2.c checkpoint pass --tokenizer TOK.bin)");
    return model->vocab;
}

} // namespace

int cmdTokenize(const Argv& argv) {
    Args args(argv, {"--json", "--no-bos", "--no-parse-special"}, {"--tokenizer"});
    if (args.positional().size() != 2) throw qb::Error("tokenize: expected MODEL and TEXT");
    qb::Tokenizer tok(loadVocab(args.positional()[0], args.get("--tokenizer")));
    const auto ids = tok.encode(args.positional()[1], !args.flag("--no-bos"), !args.flag("--no-parse-special"));
    if (args.flag("--json")) {
        std::printf("%s\n", nlohmann::json{{"ids", ids}}.dump().c_str());
        return 0;
    }
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) line += ' ';
        line += std::to_string(ids[i]);
    }
    std::printf("%s\n", line.c_str());
    return 0;
}

int cmdDetokenize(const Argv& argv) {
    Args args(argv, {"--json", "--special"}, {"--tokenizer"});
    if (args.positional().empty()) throw qb::Error("detokenize: expected MODEL and token ids");
    qb::Tokenizer tok(loadVocab(args.positional()[0], args.get("--tokenizer")));
    std::vector<int> ids;
    for (size_t i = 1; i < args.positional().size(); ++i) {
        const std::string& s = args.positional()[i];
        size_t used = 0;
        int id = -1;
        try { id = std::stoi(s, &used); } catch (...) { used = 0; }
        if (used != s.size()) throw qb::Error("detokenize: '" + s + "' is not a token id");
        if (id < 0 || id >= tok.vocab().size())
            throw qb::Error("detokenize: token id " + s + " is outside the vocabulary (0.." + std::to_string(tok.vocab().size() - 1) + ")");
        ids.push_back(id);
    }
    const std::string text = tok.decode(ids, args.flag("--special"));
    if (args.flag("--json")) std::printf("%s\n", nlohmann::json{{"text", text}}.dump().c_str());
    else std::printf("%s\n", text.c_str());
    return 0;
}

} // namespace qbcli
