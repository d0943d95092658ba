#pragma once
// One function per quantbench-cli subcommand. Each returns the exit code and
// throws qb::Error for bad input (main() prints it as one line, exit 2).
#include <string>
#include <vector>

namespace qbcli {

using Argv = std::vector<std::string>;

int cmdInfo(const Argv& argv);
int cmdTokenize(const Argv& argv);
int cmdDetokenize(const Argv& argv);
int cmdGenerate(const Argv& argv);
int cmdPerplexity(const Argv& argv);
int cmdQuantize(const Argv& argv);
int cmdImatrix(const Argv& argv);
int cmdSynth(const Argv& argv);
int cmdDevices(const Argv& argv);
int cmdBench(const Argv& argv);
int cmdKld(const Argv& argv);
int cmdMc(const Argv& argv);
int cmdSweep(const Argv& argv);
int cmdRecommend(const Argv& argv);
int cmdChatTemplate(const Argv& argv);
int cmdChat(const Argv& argv);

// Reads a whole file (the --text of perplexity and others), naming it on error.
std::string readTextFile(const std::string& path);

} // namespace qbcli
