#include "cli/cli_model.h"

#include "common/error.h"

#include <cstdio>
#include <thread>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path) {
    return qb::loadRunnableModel(path, args.get("--tokenizer"));
}

int threadCount(const Args& args) {
    const int n = args.getInt("--threads", int(std::max(1u, std::thread::hardware_concurrency())));
    if (n < 1 || n > 1024) throw qb::Error("option '--threads': " + std::to_string(n) + ", expected 1..1024");
    return n;
}

qb::KvCacheType kvCacheType(const Args& args) {
    const std::string name = args.get("--kv-type", "f16");
    const auto t = qb::kvCacheTypeFromName(name);
    if (!t) throw qb::Error("option '--kv-type': '" + name + "', expected f16, f32, q8_0 or fp8");
    return *t;
}

qb::RunOptions runOptions(const Args& args, int contextLength) {
    qb::RunOptions o;
    o.device = args.get("--device", "");
    if (args.has("--device") && o.device.empty()) throw qb::Error("option '--device': expected cpu, vulkan or vulkan:N");
    o.threads = threadCount(args);
    o.contextLength = contextLength;
    o.kvType = kvCacheType(args);
    return o;
}

qb::SamplerParams samplerParams(const Args& args, float defaultTemperature) {
    qb::SamplerParams sp;
    sp.temperature = float(args.getDouble("--temp", defaultTemperature));
    sp.topK = args.getInt("--top-k", sp.topK);
    sp.topP = float(args.getDouble("--top-p", sp.topP));
    sp.minP = float(args.getDouble("--min-p", sp.minP));
    sp.repeatPenalty = float(args.getDouble("--repeat-penalty", sp.repeatPenalty));
    sp.repeatLastN = args.getInt("--repeat-last-n", sp.repeatLastN);
    sp.seed = args.getU64("--seed", 0);
    return sp;
}

std::unique_ptr<qb::Runner> openRunner(const Args& args, const qb::Model& model, int contextLength) {
    auto r = qb::openRunner(model, runOptions(args, contextLength));
    if (!r->note.empty()) std::fprintf(stderr, "note: %s\n", r->note.c_str());
    if (!r->kernelPaths.empty()) std::fprintf(stderr, "vulkan: %s: %s\n", r->label.c_str(), r->kernelPaths.c_str());
    return r;
}

} // namespace qbcli
