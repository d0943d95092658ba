#pragma once
// Multiple-choice accuracy (HellaSwag-style): for each task, which ending the
// model finds most likely after the context. Three scores, each with its
// standard error sqrt(p(1-p)/(n-1)) and over all tasks in file order:
//  - acc: highest summed log-likelihood of the ending's tokens given the
//    context (lm-eval: whole = tokens(ctx + " " + ending), continuation =
//    whole[len(tokens(ctx)):]);
//  - acc_norm: that log-likelihood divided by the ending's length in bytes
//    (lm-eval's acc_norm);
//  - acc_per_token: mean log-probability of the ending's tokens after the
//    prefix common to all endings (llama-perplexity --hellaswag).
// Task files: llama.cpp's HellaSwag text (6 lines a task: context, index of the
// right ending, four endings) or JSON lines {"ctx", "endings", "label"}
// (docs/EVALUATION.md).
#include "eval/perplexity.h"

#include <string>
#include <vector>

namespace qb {

struct McTask {
    std::string context;
    std::vector<std::string> endings;
    int label = 0;
    int line = 0; // 1-based line of the task in its file
};

// Reads either format (JSON lines when the first non-blank byte is '{');
// throws naming the file, the line and what was expected.
std::vector<McTask> loadMcTasks(const std::string& path);
std::vector<McTask> parseMcTasks(const std::string& text, const std::string& fileName);

// A task tokenized: one sequence per ending, the context's length and the
// common prefix of all endings.
struct McTokens {
    std::vector<std::vector<int>> sequences;
    size_t contextTokens = 0; // lm-eval's split
    size_t commonPrefix = 0;  // llama.cpp's split
};
std::vector<McTokens> tokenizeMcTasks(const Model& model, const std::vector<McTask>& tasks);
// Longest sequence: the context a forward pass needs.
int mcContextNeeded(const std::vector<McTokens>& tokens);

struct McResult {
    int tasks = 0;
    double acc = 0, accStderr = 0;                 // percent
    double accNorm = 0, accNormStderr = 0;         // percent
    double accPerToken = 0, accPerTokenStderr = 0; // percent
    int tokensEvaluated = 0;
    double seconds = 0;
};

// Runs every task through `forward` (the shared prefix once, then each ending
// after a KV-cache rollback). Progress: stage "mc", unit "tasks".
McResult evaluateMc(ForwardPass& forward, const Model& model, const std::vector<McTask>& tasks, const std::vector<McTokens>& tokens,
                    Job& job = noJob());

} // namespace qb
