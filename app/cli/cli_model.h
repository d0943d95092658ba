#pragma once
// The CLI's side of "open a model on a device" (core/run/runner.h): options
// --tokenizer, --device, --threads, --kv-type read once, the device's label
// and kernel paths logged on stderr.
#include "cli/args.h"
#include "model/forward_cpu.h"
#include "model/model.h"
#include "model/sampler.h"
#include "run/runner.h"

#include <memory>
#include <string>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path);
int threadCount(const Args& args);
qb::KvCacheType kvCacheType(const Args& args); // --kv-type f16 (default) | f32 | q8_0 | fp8
qb::RunOptions runOptions(const Args& args, int contextLength);
// --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed (generate and chat)
qb::SamplerParams samplerParams(const Args& args, float defaultTemperature);
// openRunner on --device, logging the fallback note and Vulkan kernel paths.
std::unique_ptr<qb::Runner> openRunner(const Args& args, const qb::Model& model, int contextLength);

} // namespace qbcli
