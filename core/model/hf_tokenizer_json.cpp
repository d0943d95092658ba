#include "model/hf_tokenizer_json.h"

#include "common/error.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace qb {

namespace {

nlohmann::json parseJson(const std::string& path, const std::string& text) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw fileError(path, std::string("not valid JSON: ") + e.what());
    }
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fileError(path, "cannot open");
    return parseJson(path, std::string(std::istreambuf_iterator<char>(in), {}));
}

std::string preFromRegex(const std::string& pattern) {
    if (pattern.find("\\p{N}{1,3}") != std::string::npos) return "llama-bpe";
    if (pattern.find("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|") != std::string::npos) return "qwen2";
    return "gpt-2";
}

// The first Split pre-tokenizer regex anywhere in the pre_tokenizer tree.
std::string findSplitRegex(const nlohmann::json& pt) {
    if (pt.is_object()) {
        if (pt.value("type", "") == "Split" && pt.contains("pattern") && pt["pattern"].contains("Regex"))
            return pt["pattern"]["Regex"].get<std::string>();
        if (pt.contains("pretokenizers"))
            for (const auto& p : pt["pretokenizers"]) {
                std::string r = findSplitRegex(p);
                if (!r.empty()) return r;
            }
    }
    return "";
}

// A token id from the file: an integer in [0, limit), else an error naming the field.
int tokenId(const nlohmann::json& value, size_t limit, const std::string& path, const std::string& field) {
    limit = std::min<size_t>(limit, size_t(INT32_MAX));
    if (!value.is_number_integer()) throw fileError(path, field + ": expected an integer token id, got " + std::string(value.type_name()));
    const bool negative = value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() < 0;
    if (negative || value.get<uint64_t>() >= limit)
        throw fileError(path, field + ": id " + value.dump() + " is outside 0.." + std::to_string(int64_t(limit) - 1));
    return int(value.get<uint64_t>());
}

int idOfContent(const nlohmann::json& cfgValue, const Vocab& v) {
    std::string text;
    if (cfgValue.is_string()) text = cfgValue.get<std::string>();
    else if (cfgValue.is_object() && cfgValue.contains("content") && cfgValue["content"].is_string()) text = cfgValue["content"].get<std::string>();
    return text.empty() ? -1 : v.find(text);
}

} // namespace

std::shared_ptr<Vocab> vocabFromTokenizerJson(const std::string& path, const std::string& configPath) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fileError(path, "cannot open");
    return vocabFromTokenizerJsonText(path, std::string(std::istreambuf_iterator<char>(in), {}), configPath);
}

std::shared_ptr<Vocab> vocabFromTokenizerJsonText(const std::string& path, const std::string& text, const std::string& configPath) {
    const nlohmann::json j = parseJson(path, text);
    auto v = std::make_shared<Vocab>();
    try {
        const auto& model = j.at("model");
        const std::string type = model.value("type", "BPE");
        const bool byteFallback = model.value("byte_fallback", false);
        if (type == "Unigram") {
            v->kind = TokenizerKind::Spm;
            for (const auto& e : model.at("vocab")) {
                v->tokens.push_back(e.at(0).get<std::string>());
                v->scores.push_back(e.at(1).get<float>());
            }
            if (model.contains("unk_id") && model["unk_id"].is_number_integer())
                v->unk = tokenId(model["unk_id"], v->tokens.size(), path, "model.unk_id");
        } else if (type == "BPE") {
            v->kind = byteFallback ? TokenizerKind::Spm : TokenizerKind::Bpe;
            const auto& vocab = model.at("vocab");
            v->tokens.assign(vocab.size(), std::string());
            for (auto it = vocab.begin(); it != vocab.end(); ++it) {
                v->tokens[size_t(tokenId(*it, vocab.size(), path, "model.vocab['" + it.key() + "']"))] = it.key();
            }
            for (const auto& m : model.at("merges")) {
                if (m.is_string()) v->merges.push_back(m.get<std::string>());
                else v->merges.push_back(m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());
            }
            if (v->kind == TokenizerKind::Spm) { // merge order becomes the score: earlier merge, higher score
                v->scores.assign(v->tokens.size(), 0.0f);
                std::unordered_map<std::string, int> ids;
                for (size_t i = 0; i < v->tokens.size(); ++i) ids.emplace(v->tokens[i], int(i));
                for (size_t r = 0; r < v->merges.size(); ++r) {
                    const std::string& m = v->merges[r];
                    const size_t sp = m.find(' ');
                    auto it = ids.find(m.substr(0, sp) + m.substr(sp + 1));
                    if (it != ids.end()) v->scores[size_t(it->second)] = -float(r);
                }
                v->merges.clear();
            }
            if (model.contains("unk_token") && model["unk_token"].is_string()) v->unk = -2; // resolved below
        } else {
            throw fileError(path, "model.type '" + type + "' is not supported, expected BPE or Unigram");
        }
        v->model = v->kind == TokenizerKind::Spm ? "llama" : "gpt2";
        if (v->kind == TokenizerKind::Bpe) v->pre = preFromRegex(findSplitRegex(j.value("pre_tokenizer", nlohmann::json())));
        v->types.assign(v->tokens.size(), TokenType::Normal);
        for (size_t i = 0; i < v->tokens.size(); ++i)
            if (v->kind == TokenizerKind::Spm && parseByteToken(v->tokens[i]) >= 0) v->types[i] = TokenType::Byte;
        if (j.contains("added_tokens"))
            for (const auto& a : j["added_tokens"]) {
                const std::string content = a.at("content").get<std::string>();
                // added tokens extend the vocabulary: an id past all of them is a gap no real file has (and an allocation the file does not justify)
                const int id = tokenId(a.at("id"), v->tokens.size() + j["added_tokens"].size(), path, "added_tokens '" + content + "'");
                if (size_t(id) >= v->tokens.size()) {
                    v->tokens.resize(size_t(id) + 1);
                    v->types.resize(size_t(id) + 1, TokenType::Unused);
                    if (!v->scores.empty()) v->scores.resize(size_t(id) + 1, 0.0f);
                }
                v->tokens[size_t(id)] = content;
                v->types[size_t(id)] = a.value("special", false) ? TokenType::Control : TokenType::UserDefined;
            }
        if (v->unk == -2) {
            v->unk = -1;
            for (size_t i = 0; i < v->tokens.size(); ++i)
                if (v->tokens[i] == model["unk_token"].get<std::string>()) v->unk = int(i);
        }
        if (v->unk >= 0 && size_t(v->unk) < v->types.size()) v->types[size_t(v->unk)] = TokenType::Unknown;
    } catch (const nlohmann::json::exception& e) {
        throw fileError(path, std::string("unexpected structure: ") + e.what());
    }

    // Special ids and BOS/EOS policy from tokenizer_config.json when present.
    v->addBos = v->kind == TokenizerKind::Spm;
    v->addSpacePrefix = v->kind == TokenizerKind::Spm;
    auto finalizeIds = [&]() { v->tokenToId.clear(); for (size_t i = 0; i < v->tokens.size(); ++i) v->tokenToId.emplace(v->tokens[i], int(i)); };
    finalizeIds();
    if (!configPath.empty() && std::filesystem::exists(configPath)) {
        const nlohmann::json c = readJson(configPath);
        if (c.contains("bos_token")) v->bos = idOfContent(c["bos_token"], *v);
        if (c.contains("eos_token")) v->eos = idOfContent(c["eos_token"], *v);
        if (c.contains("add_bos_token") && c["add_bos_token"].is_boolean()) v->addBos = c["add_bos_token"].get<bool>();
        if (c.contains("add_eos_token") && c["add_eos_token"].is_boolean()) v->addEos = c["add_eos_token"].get<bool>();
        if (c.contains("chat_template") && c["chat_template"].is_string()) v->chatTemplate = c["chat_template"].get<std::string>();
    }
    if (v->kind == TokenizerKind::Spm) {
        if (v->bos < 0) v->bos = v->find("<s>");
        if (v->eos < 0) v->eos = v->find("</s>");
    }
    if (v->addBos && v->bos < 0) v->addBos = false;
    v->finalize(path);
    return v;
}

} // namespace qb
