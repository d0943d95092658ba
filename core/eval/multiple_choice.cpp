#include "eval/multiple_choice.h"

#include "common/error.h"
#include "common/read_file.h"
#include "model/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

namespace qb {

namespace {

std::string where(const std::string& file, int line) { return file + ": line " + std::to_string(line); }

std::vector<McTask> parseHellaswag(const std::string& text, const std::string& file) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        lines.push_back(l);
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.size() % 6 != 0)
        throw fileError(file, std::to_string(lines.size()) + " lines, expected 6 per task (context, right ending 0-3, four endings)");
    std::vector<McTask> tasks;
    for (size_t i = 0; i < lines.size(); i += 6) {
        McTask t;
        t.line = int(i) + 1;
        t.context = lines[i];
        const std::string& label = lines[i + 1];
        if (label.size() != 1 || label[0] < '0' || label[0] > '3')
            throw Error(where(file, int(i) + 2) + ": '" + label.substr(0, 40) + "', expected the index of the right ending, 0..3");
        t.label = label[0] - '0';
        for (int k = 0; k < 4; ++k) t.endings.push_back(lines[i + 2 + size_t(k)]);
        tasks.push_back(std::move(t));
    }
    return tasks;
}

std::vector<McTask> parseJsonLines(const std::string& text, const std::string& file) {
    std::vector<McTask> tasks;
    std::istringstream in(text);
    int lineNo = 0;
    for (std::string l; std::getline(in, l);) {
        ++lineNo;
        if (l.find_first_not_of(" \t\r") == std::string::npos) continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(l);
        } catch (const nlohmann::json::exception& e) {
            throw Error(where(file, lineNo) + ": not JSON (" + e.what() + "), expected {\"ctx\", \"endings\", \"label\"}");
        }
        if (!j.is_object()) throw Error(where(file, lineNo) + ": expected a JSON object {\"ctx\", \"endings\", \"label\"}");
        McTask t;
        t.line = lineNo;
        if (!j.contains("ctx") || !j["ctx"].is_string()) throw Error(where(file, lineNo) + ": key 'ctx': expected a string");
        t.context = j["ctx"].get<std::string>();
        if (!j.contains("endings") || !j["endings"].is_array() || j["endings"].size() < 2)
            throw Error(where(file, lineNo) + ": key 'endings': expected an array of at least 2 strings");
        for (const auto& e : j["endings"]) {
            if (!e.is_string()) throw Error(where(file, lineNo) + ": key 'endings': expected strings only");
            t.endings.push_back(e.get<std::string>());
        }
        if (!j.contains("label") || !j["label"].is_number_integer())
            throw Error(where(file, lineNo) + ": key 'label': expected the index of the right ending");
        const int64_t label = j["label"].get<int64_t>();
        if (label < 0 || label >= int64_t(t.endings.size()))
            throw Error(where(file, lineNo) + ": key 'label': " + std::to_string(label) + ", expected 0.." + std::to_string(t.endings.size() - 1));
        t.label = int(label);
        tasks.push_back(std::move(t));
    }
    return tasks;
}

// Whether each score picked the right ending (ties go to the first, as both harnesses do).
int argmaxOf(const std::vector<double>& v) {
    int best = 0;
    for (int i = 1; i < int(v.size()); ++i)
        if (v[size_t(i)] > v[size_t(best)]) best = i;
    return best;
}

void setScore(double correct, int n, double& acc, double& stderrOut) {
    const double p = correct / n;
    acc = 100 * p;
    stderrOut = n > 1 ? 100 * std::sqrt(p * (1 - p) / (n - 1)) : 0;
}

} // namespace

std::vector<McTask> parseMcTasks(const std::string& text, const std::string& file) {
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) throw fileError(file, "no tasks, expected HellaSwag text (6 lines a task) or JSON lines");
    auto tasks = text[first] == '{' ? parseJsonLines(text, file) : parseHellaswag(text, file);
    for (const McTask& t : tasks) {
        if (t.context.empty()) throw Error(where(file, t.line) + ": empty context, expected text before the endings");
        for (const std::string& e : t.endings)
            if (e.empty()) throw Error(where(file, t.line) + ": an empty ending, expected text for every ending");
    }
    return tasks;
}

std::vector<McTask> loadMcTasks(const std::string& path) { return parseMcTasks(readWholeFile(path, "task file"), path); }

std::vector<McTokens> tokenizeMcTasks(const Model& model, const std::vector<McTask>& tasks) {
    if (!model.vocab) throw fileError(model.path, "has no tokenizer to read the tasks with");
    Tokenizer tok(model.vocab);
    std::vector<McTokens> out;
    out.reserve(tasks.size());
    for (const McTask& t : tasks) {
        McTokens m;
        m.contextTokens = tok.encode(t.context, true, false).size();
        for (const std::string& e : t.endings) m.sequences.push_back(tok.encode(t.context + " " + e, true, false));
        size_t minLen = m.sequences[0].size();
        for (const auto& s : m.sequences) minLen = std::min(minLen, s.size());
        size_t p = 0;
        for (; p < minLen; ++p) {
            bool same = true;
            for (const auto& s : m.sequences) same = same && s[p] == m.sequences[0][p];
            if (!same) break;
        }
        if (minLen < 2) throw Error("task at line " + std::to_string(t.line) + ": context + ending tokenize to fewer than 2 tokens");
        // every ending keeps at least one token of its own to score
        m.commonPrefix = std::max<size_t>(1, std::min(p, minLen - 1));
        m.contextTokens = std::clamp<size_t>(m.contextTokens, 1, minLen - 1);
        out.push_back(std::move(m));
    }
    return out;
}

int mcContextNeeded(const std::vector<McTokens>& tokens) {
    size_t n = 1;
    for (const auto& t : tokens)
        for (const auto& s : t.sequences) n = std::max(n, s.size());
    return int(n);
}

McResult evaluateMc(ForwardPass& forward, const Model& model, const std::vector<McTask>& tasks, const std::vector<McTokens>& tokens,
                    Job& job) {
    if (tasks.size() != tokens.size()) throw Error("mc: tasks and their tokens differ in number", ErrorKind::Internal);
    if (tasks.empty()) throw Error("mc: no tasks to evaluate");
    const int needed = mcContextNeeded(tokens);
    if (needed > forward.capacity())
        throw Error("mc: a task needs " + std::to_string(needed) + " tokens of context, the forward pass has " + std::to_string(forward.capacity()));
    const int V = model.config.vocabSize;
    const auto start = std::chrono::steady_clock::now();
    job.begin("mc", double(tasks.size()), "tasks");
    McResult r;
    double accN = 0, normN = 0, perTokN = 0;
    std::vector<float> prefixLogits, logits;
    for (size_t ti = 0; ti < tasks.size(); ++ti) {
        const McTask& task = tasks[ti];
        const McTokens& tk = tokens[ti];
        const size_t P = tk.commonPrefix;
        // the first ending runs whole (its first P positions are the shared prefix);
        // each other ending runs after rolling the cache back to the prefix
        forward.reset();
        forward.forward(tk.sequences[0].data(), int(tk.sequences[0].size()), prefixLogits, true);
        r.tokensEvaluated += int(tk.sequences[0].size());
        std::vector<double> ll, norm, perTok;
        for (size_t e = 0; e < tk.sequences.size(); ++e) {
            const std::vector<int>& seq = tk.sequences[e];
            const float* endingRows = prefixLogits.data() + P * size_t(V);
            if (e > 0) {
                forward.rollback(int(P));
                forward.forward(seq.data() + P, int(seq.size() - P), logits, true);
                r.tokensEvaluated += int(seq.size() - P);
                endingRows = logits.data();
            }
            // log p(seq[j] | seq[..j)) from the logits row of position j-1
            auto logProb = [&](size_t j) {
                const float* row = j - 1 < P ? prefixLogits.data() + (j - 1) * size_t(V) : endingRows + (j - 1 - P) * size_t(V);
                return logSoftmaxNorm(row, V).logProb(row, seq[j]);
            };
            std::vector<double> lp(seq.size(), 0.0);
            for (size_t j = std::min(tk.contextTokens, P); j < seq.size(); ++j) lp[j] = logProb(j);
            double sumCtx = 0, sumPrefix = 0;
            for (size_t j = tk.contextTokens; j < seq.size(); ++j) sumCtx += lp[j];
            for (size_t j = P; j < seq.size(); ++j) sumPrefix += lp[j];
            ll.push_back(sumCtx);
            norm.push_back(sumCtx / double(task.endings[e].size()));
            perTok.push_back(sumPrefix / double(seq.size() - P));
        }
        accN += argmaxOf(ll) == task.label;
        normN += argmaxOf(norm) == task.label;
        perTokN += argmaxOf(perTok) == task.label;
        job.step(double(ti + 1));
    }
    r.tasks = int(tasks.size());
    setScore(accN, r.tasks, r.acc, r.accStderr);
    setScore(normN, r.tasks, r.accNorm, r.accNormStderr);
    setScore(perTokN, r.tasks, r.accPerToken, r.accPerTokenStderr);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

} // namespace qb
