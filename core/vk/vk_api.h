#pragma once
// The Vulkan functions QuantBench uses, loaded at run time from the system's
// loader (libvulkan.so.1) so a machine without Vulkan still runs the CPU
// paths and gets a clear "no Vulkan loader" error instead of a failed start.
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <string>

namespace qb::vk {

#define QB_VK_GLOBAL_FUNCS(X) \
    X(vkCreateInstance) X(vkEnumerateInstanceLayerProperties) X(vkEnumerateInstanceExtensionProperties)

#define QB_VK_INSTANCE_FUNCS(X) \
    X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties) \
    X(vkGetPhysicalDeviceProperties2) X(vkGetPhysicalDeviceFeatures2) X(vkGetPhysicalDeviceMemoryProperties) \
    X(vkGetPhysicalDeviceQueueFamilyProperties) X(vkEnumerateDeviceExtensionProperties) X(vkCreateDevice) \
    X(vkGetDeviceProcAddr) X(vkCreateDebugUtilsMessengerEXT) X(vkDestroyDebugUtilsMessengerEXT)

#define QB_VK_DEVICE_FUNCS(X) \
    X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkCreateBuffer) X(vkDestroyBuffer) X(vkGetBufferMemoryRequirements) \
    X(vkAllocateMemory) X(vkFreeMemory) X(vkBindBufferMemory) X(vkMapMemory) X(vkUnmapMemory) \
    X(vkCreateShaderModule) X(vkDestroyShaderModule) X(vkCreateDescriptorSetLayout) X(vkDestroyDescriptorSetLayout) \
    X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) X(vkCreateComputePipelines) X(vkDestroyPipeline) \
    X(vkCreatePipelineCache) X(vkDestroyPipelineCache) X(vkGetPipelineCacheData) X(vkCreateDescriptorPool) \
    X(vkDestroyDescriptorPool) X(vkResetDescriptorPool) X(vkAllocateDescriptorSets) X(vkUpdateDescriptorSets) \
    X(vkCreateCommandPool) X(vkDestroyCommandPool) X(vkAllocateCommandBuffers) X(vkFreeCommandBuffers) \
    X(vkBeginCommandBuffer) X(vkEndCommandBuffer) X(vkResetCommandBuffer) X(vkCmdBindPipeline) \
    X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch) X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) \
    X(vkCmdFillBuffer) X(vkQueueSubmit) X(vkQueueWaitIdle) X(vkCreateFence) X(vkDestroyFence) X(vkWaitForFences) \
    X(vkResetFences) X(vkDeviceWaitIdle) X(vkCreateQueryPool) X(vkDestroyQueryPool) X(vkCmdResetQueryPool) \
    X(vkCmdWriteTimestamp) X(vkGetQueryPoolResults) X(vkCreateBufferView) X(vkDestroyBufferView)

struct Api {
#define QB_VK_DECLARE(name) PFN_##name name = nullptr;
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
    QB_VK_GLOBAL_FUNCS(QB_VK_DECLARE)
    QB_VK_INSTANCE_FUNCS(QB_VK_DECLARE)
    QB_VK_DEVICE_FUNCS(QB_VK_DECLARE)
#undef QB_VK_DECLARE
};

// The loader's global functions (vkGetInstanceProcAddr, vkCreateInstance, ...),
// loaded once per process; loaderApi() throws qb::Error when no Vulkan loader
// can be opened. Each Context copies it and fills its own instance and device
// functions (two contexts, on two devices or two threads, never share a
// table that the other one writes).
const Api& loaderApi();
void loadInstanceFunctions(Api& api, VkInstance instance);
void loadDeviceFunctions(Api& api, VkDevice device);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" for a VkResult.
const char* resultName(VkResult r);

} // namespace qb::vk

// Checks a VkResult; throws qb::Error naming the call, the result and file:line.
#define VK_CHECK(call)                                                                                      \
    do {                                                                                                    \
        const VkResult qb_vk_result = (call);                                                               \
        if (qb_vk_result != VK_SUCCESS) ::qb::vk::throwVkError(#call, qb_vk_result, __FILE__, __LINE__);   \
    } while (0)

namespace qb::vk {
[[noreturn]] void throwVkError(const char* call, VkResult r, const char* file, int line);
}
