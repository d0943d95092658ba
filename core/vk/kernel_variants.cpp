#include "vk/kernel_variants.h"

#include "common/error.h"

#include <cstdlib>

namespace qb::vk {

KernelVariants chooseKernelVariants(const DeviceInfo& d, const std::string& override) {
    KernelVariants k;
    k.float64 = d.float64;
    k.dot4 = d.integerDotAccelerated;
    k.subgroup = d.type != "cpu" && d.subgroupShuffle;
    std::string want = override;
    if (want.empty())
        if (const char* env = std::getenv("QUANTBENCH_VK_KERNELS")) want = env;
    size_t start = 0;
    while (start < want.size()) {
        const size_t comma = want.find(',', start);
        const std::string item = want.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? want.size() : comma + 1;
        if (item == "dot4") {
            if (!d.integerDot)
                throw Error("QUANTBENCH_VK_KERNELS=dot4: device '" + d.name + "' has no integer dot product (VK_KHR_shader_integer_dot_product)");
            k.dot4 = true;
        } else if (item == "swar") {
            k.dot4 = false;
        } else if (item == "subgroup") {
            if (!d.subgroupShuffle) throw Error("QUANTBENCH_VK_KERNELS=subgroup: device '" + d.name + "' has no subgroup shuffles in compute shaders");
            k.subgroup = true;
        } else if (item == "nosubgroup") {
            k.subgroup = false;
        } else if (item == "layers") {
            k.layerFusion = KernelVariants::LayerFusion::Always;
        } else if (item == "nolayers") {
            k.layerFusion = KernelVariants::LayerFusion::Never;
        } else if (!item.empty()) {
            throw Error("QUANTBENCH_VK_KERNELS: '" + item + "', expected a comma list of dot4, swar, subgroup, nosubgroup, layers, nolayers");
        }
    }
    return k;
}

const std::vector<VkFormat>& matmulBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
    return f;
}

const std::vector<VkFormat>& matmulQBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_UNDEFINED,
                                         VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT};
    return f;
}

const std::vector<VkFormat>& matmulKBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_UNDEFINED, VK_FORMAT_R32G32_SFLOAT,
                                         VK_FORMAT_R32G32B32A32_UINT};
    return f;
}

const std::vector<VkFormat>& actQuantKBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
    return f;
}

const std::vector<VkFormat>& actQuantBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
    return f;
}

const std::vector<VkFormat>& getRowsBindings() {
    static const std::vector<VkFormat> f{VK_FORMAT_R32G32B32A32_UINT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
    return f;
}

std::string KernelVariants::describe(const DeviceInfo& d) const {
    const std::string dotWhy = dot4 ? (d.integerDotAccelerated ? " (hardware-accelerated)" : " (forced)")
                                    : (!d.integerDot ? " (no integer dot product)" : d.integerDotAccelerated ? " (forced)" : " (integer dot product not accelerated)");
    const std::string sgWhy = subgroup ? (d.type != "cpu" ? " (GPU with subgroup shuffles)" : " (forced)")
                                       : (!d.subgroupShuffle ? " (no subgroup shuffles)" : d.type == "cpu" ? " (CPU device: bit-identical kernels)" : " (forced)");
    return std::string("Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 integer dot via ") + (dot4 ? "4x8-bit dot product (OpSDot)" : "SWAR 32-bit multiplies") + dotWhy +
           (subgroup ? ", decode rows spread over subgroups" : ", decode one row group per invocation") + sgWhy + ", " +
           (float64 ? "double" : "float (no shaderFloat64)") + " reductions, F32 arithmetic on 16-bit values widened at load (bit-identical with the CPU)";
}

} // namespace qb::vk
