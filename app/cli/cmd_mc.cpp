// quantbench-cli mc: multiple-choice accuracy (core/eval/multiple_choice.h).
#include "cli/args.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "eval/multiple_choice.h"
#include "eval/results.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdMc(const Argv& argv) {
    Args args(argv, {"--json"}, {"--tasks", "--device", "--tokenizer", "--threads", "--kv-type"});
    if (args.positional().size() != 1) throw qb::Error("mc: expected one MODEL path");
    if (!args.has("--tasks")) throw qb::Error("mc: --tasks FILE is required (HellaSwag text or JSON lines)");
    const std::string tasksPath = args.get("--tasks");
    const auto tasks = qb::loadMcTasks(tasksPath);
    const auto model = loadRunnableModel(args, args.positional()[0]);
    const auto tokens = qb::tokenizeMcTasks(*model, tasks);
    const auto runner = openRunner(args, *model, qb::mcContextNeeded(tokens));
    JobProgress progress;
    const qb::McResult r = qb::evaluateMc(*runner->forward, *model, tasks, tokens, progress.job());
    progress.finish();
    const std::string method = "log-likelihood of each ending after the context, all " + std::to_string(r.tasks) +
                               " tasks in file order (acc, acc_norm: lm-eval; acc_per_token: llama-perplexity --hellaswag), KV cache " +
                               qb::kvCacheTypeName(kvCacheType(args));
    if (args.flag("--json")) {
        nlohmann::json j = qb::toJson(r);
        j["model"] = model->path;
        j["task_file"] = tasksPath;
        j["device"] = runner->label;
        j["method"] = method;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model %s, %d tasks from %s\n", model->path.c_str(), r.tasks, tasksPath.c_str());
    std::printf("acc           %7.2f +/- %.2f %%\n", r.acc, r.accStderr);
    std::printf("acc_norm      %7.2f +/- %.2f %%\n", r.accNorm, r.accNormStderr);
    std::printf("acc_per_token %7.2f +/- %.2f %%\n", r.accPerToken, r.accPerTokenStderr);
    std::printf("%d tokens in %.2f s; %s; device %s\n", r.tokensEvaluated, r.seconds, method.c_str(), runner->label.c_str());
    return 0;
}

} // namespace qbcli
