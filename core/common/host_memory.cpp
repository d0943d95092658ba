#include "common/host_memory.h"

#include "common/error.h"

#include <cstdio>
#include <unistd.h>

namespace qb {

uint64_t physicalMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0;
}

void checkHostAllocation(uint64_t bytes, const std::string& what) {
    const uint64_t ram = physicalMemoryBytes();
    if (ram == 0 || bytes <= ram) return;
    char msg[160];
    std::snprintf(msg, sizeof msg, " needs %.1f GiB, more than this machine's %.1f GiB of memory", double(bytes) / (1u << 30),
                  double(ram) / (1u << 30));
    throw Error(what + msg);
}

} // namespace qb
