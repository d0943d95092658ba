#pragma once
// This machine's physical memory, and the check every large host allocation
// whose size comes from a file or a request (a KV cache for a context) makes
// first: refused by name, before allocating, when it cannot fit.
#include <cstdint>
#include <string>

namespace qb {

uint64_t physicalMemoryBytes();

// Throws qb::Error "<what> needs N GiB, more than this machine's M GiB of memory".
void checkHostAllocation(uint64_t bytes, const std::string& what);

} // namespace qb
