#pragma once
// Shared by the commands that run a model: loading with --tokenizer, the
// --device check, the thread pool size.
#include "cli/args.h"
#include "common/thread_pool.h"
#include "model/model.h"

#include <memory>
#include <string>

namespace qbcli {

std::unique_ptr<qb::Model> loadRunnableModel(const Args& args, const std::string& path);
// Validates --device (only "cpu" is built so far) and returns its label, e.g. "cpu (2 threads)".
std::string deviceLabel(const Args& args, const qb::ThreadPool& pool);
int threadCount(const Args& args);

} // namespace qbcli
