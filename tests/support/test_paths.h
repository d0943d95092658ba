#pragma once
// Where the read-only shared data lives ($QUANTBENCH_SHARED, else ../shared
// beside the source tree) and a scratch folder inside the build tree.
#include <string>

namespace qbtest {

std::string sharedPath(const std::string& relative); // fails the test run if ../shared is missing
std::string scratchDir(const std::string& name);      // fresh, empty, under the build tree (one per kernel-variant run)
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& bytes);
// How much slower than a normal build this one runs: $QUANTBENCH_TIME_SCALE (scripts/sanitize.sh
// sets 10 for instrumented builds), else 1. The few "within N seconds" checks multiply by it.
double timeScale();

} // namespace qbtest
