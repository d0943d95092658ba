// quantbench-cli devices: the Vulkan devices this machine offers.
#include "cli/args.h"
#include "cli/commands.h"
#include "vk/context.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qbcli {

int cmdDevices(const Argv& argv) {
    Args args(argv, {"--json"}, {});
    const auto devices = qb::vk::Context::listDevices();
    if (args.flag("--json")) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& d : devices)
            j.push_back({{"index", d.index}, {"name", d.name}, {"type", d.type}, {"memory_bytes", d.memoryBytes}, {"subgroup_size", d.subgroupSize},
                         {"float16", d.float16}, {"int8", d.int8}, {"integer_dot_product", d.integerDot},
                         {"integer_dot_product_accelerated", d.integerDotAccelerated}, {"subgroup_arithmetic", d.subgroupArithmetic},
                         {"subgroup_shuffle", d.subgroupShuffle},
                         {"float64", d.float64}, {"driver", d.driver}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    if (devices.empty()) std::printf("no Vulkan devices\n");
    for (const auto& d : devices)
        std::printf("vulkan:%d  %s  [%s]  %.1f GiB  subgroup %u%s  fp16 %s  int8 %s  int-dot %s  fp64 %s  driver %s\n", d.index, d.name.c_str(),
                    d.type.c_str(), double(d.memoryBytes) / (1 << 30), d.subgroupSize, d.subgroupArithmetic ? " (arithmetic)" : "",
                    d.float16 ? "yes" : "no", d.int8 ? "yes" : "no", d.integerDot ? (d.integerDotAccelerated ? "accelerated" : "yes") : "no",
                    d.float64 ? "yes" : "no", d.driver.c_str());
    return 0;
}

} // namespace qbcli
