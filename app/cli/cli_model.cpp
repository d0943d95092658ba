#include "cli/cli_model.h"

#include "common/error.h"

#include <thread>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path) {
    qb::LoadOptions opts;
    opts.tokenizerPath = args.get("--tokenizer");
    auto model = qb::loadModel(path, opts);
    if (model->tensors.empty()) throw qb::fileError(path, "holds only a tokenizer, no weights to run");
    if (!model->vocab)
        throw qb::fileError(path, "has no tokenizer: a llama2.c checkpoint needs --tokenizer TOK.bin (or tokenizer.bin beside it)");
    return model;
}

int threadCount(const Args& args) {
    const int n = args.getInt("--threads", int(std::max(1u, std::thread::hardware_concurrency())));
    if (n < 1 || n > 1024) throw qb::Error("option '--threads': " + std::to_string(n) + ", expected 1..1024");
    return n;
}

std::string deviceLabel(const Args& args, const qb::ThreadPool& pool) {
    const std::string device = args.get("--device", "cpu");
    if (device != "cpu")
        throw qb::Error("option '--device': '" + device + "' is not available in this build, expected cpu");
    return "cpu (" + std::to_string(pool.size()) + " threads, F32 reference)";
}

} // namespace qbcli
