#pragma once
// Which kernel variants the engine runs on a device, chosen from its
// features (and logged): the integer-dot matmuls for Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 use the
// device's 4x8-bit dot product where it is hardware-accelerated, else a SWAR
// formulation with plain 32-bit multiplies (lavapipe). On GPUs with subgroup
// shuffles, decode spreads each row's blocks over lanes (occupancy; float sums
// in another order, so equal to the CPU to rounding); CPU devices keep one
// row per invocation (bit-identical). Reductions are in
// double where the device has shaderFloat64, as in the CPU reference.
// Decode of models with small layers runs one dispatch per layer
// (layer_decode.comp) instead of ~8 (lavapipe pays more per dispatch than
// such a layer's arithmetic).
// QUANTBENCH_VK_KERNELS, a comma list of dot4|swar, subgroup|nosubgroup and layers|nolayers,
// forces a path (tests run each), as long as the device supports it.
#include "vk/context.h"

#include <string>
#include <vector>

namespace qb::vk {

struct KernelVariants {
    bool dot4 = false;    // OpSDot matmuls, activations in the bytes layout
    bool subgroup = false; // decode matmuls spread over a workgroup, reduced by subgroup shuffles (GPUs)
    bool float64 = false; // double reductions in RMSNorm / attention
    enum class LayerFusion { Auto, Always, Never } layerFusion = LayerFusion::Auto;
    std::string describe(const DeviceInfo& device) const; // with the reason for each choice
    // Whether the engine's results on `device` equal the CPU reference's bit for
    // bit: a CPU device (lavapipe: IEEE-exact division and square root), double
    // reductions, and no subgroup variant (which sums in another order). On GPUs
    // division and square root are only accurate to a few ulp, so results agree
    // to rounding (the tests then bound the logits' nmse and compare greedy text).
    bool bitIdenticalWithCpu(const DeviceInfo& device) const { return device.type == "cpu" && float64 && !subgroup; }
};

// Binding formats of the kernels that read through uniform texel buffers
// (VK_FORMAT_UNDEFINED = storage buffer), for the engine and the tests.
const std::vector<VkFormat>& matmulBindings();   // matmul_<type>: weights, input, output, row scales
const std::vector<VkFormat>& matmulQBindings();  // matmul_q*: quants, activation quants, output, scales, activation meta
const std::vector<VkFormat>& matmulKBindings();  // matmul_k*: quants, activation pairs, output, (d, dmin), activation sums and d
const std::vector<VkFormat>& actQuantBindings(); // act_q8_0_*: input, gain, quants, meta
const std::vector<VkFormat>& actQuantKBindings(); // act_q8_k_*: the same, inputs four floats a texel
const std::vector<VkFormat>& getRowsBindings(); // get_rows_<type>: weights, ids, output, row scales

// `override` as QUANTBENCH_VK_KERNELS; empty = read the variable.
KernelVariants chooseKernelVariants(const DeviceInfo& device, const std::string& override = {});

} // namespace qb::vk
