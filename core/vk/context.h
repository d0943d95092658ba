#pragma once
// A Vulkan context (Kompute-style): instance (validation layer on when asked),
// the chosen physical device (discrete > integrated > CPU such as lavapipe;
// QUANTBENCH_DEVICE=<index|name substring> overrides), one compute queue,
// one command pool and one pipeline cache kept under the XDG cache dir.
#include "vk/vk_api.h"

#include <atomic>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

namespace qb::vk {

struct DeviceInfo {
    int index = 0;
    std::string name;
    std::string type;          // discrete | integrated | virtual | cpu | other
    uint64_t memoryBytes = 0;  // largest device-local heap
    uint32_t subgroupSize = 0;
    bool float16 = false;      // shaderFloat16 + 16-bit storage
    bool int8 = false;         // shaderInt8 + 8-bit storage
    bool integerDot = false;   // VK_KHR_shader_integer_dot_product with shaderIntegerDotProduct
    bool integerDotAccelerated = false; // 4x8-bit packed signed dot product in hardware
    bool subgroupArithmetic = false;    // subgroupAdd & co. in compute shaders
    bool subgroupShuffle = false;       // subgroupShuffleXor in compute shaders
    bool float64 = false;      // shaderFloat64 (reductions in double, as the CPU reference)
    uint32_t apiVersion = 0;
    std::string driver;
};

struct ContextOptions {
    bool validation = false; // also on with QUANTBENCH_VALIDATION=1
    std::string selector;    // index or name substring; empty = $QUANTBENCH_DEVICE, else the best device
};

class Context {
public:
    explicit Context(const ContextOptions& options = {});
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    static std::vector<DeviceInfo> listDevices();

    // This context's Vulkan functions (instance and device level).
    const Api& api() const { return m_api; }
    VkDevice device() const { return m_device; }
    VkQueue queue() const { return m_queue; }
    // The context's own command pool (one-shot copies) and its queue are shared
    // by every user of the context: hold this lock to record from that pool or
    // to submit. Command batches have pools of their own.
    [[nodiscard]] std::unique_lock<std::mutex> lockQueue() { return std::unique_lock<std::mutex>(m_queueMutex); }
    VkCommandPool commandPool() const { return m_commandPool; }
    uint32_t queueFamily() const { return m_queueFamily; }
    VkPipelineCache pipelineCache() const { return m_pipelineCache; }
    const DeviceInfo& info() const { return m_info; }
    VkDeviceSize minStorageAlignment() const { return m_minStorageAlignment; }
    VkDeviceSize maxStorageRange() const { return m_maxStorageRange; }
    VkDeviceSize maxTexelElements() const { return m_maxTexelElements; }
    // Largest one buffer may be (maxMemoryAllocationSize, at most the largest heap).
    VkDeviceSize maxAllocation() const { return m_maxAllocation; }
    uint32_t maxStorageBuffersPerStage() const { return m_maxStorageBuffersPerStage; }
    float timestampPeriod() const { return m_timestampPeriod; } // ns per tick; 0 when the queue has no timestamps
    int validationErrors() const { return m_validationErrors.load(); }
    // Every context's in this process, those already destroyed included (for tests
    // that drive contexts they cannot reach, e.g. the GUI's workers).
    static int processValidationErrors();
    // Memory type index with all of `want`; throws naming `what` when none fits.
    uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags want, const std::string& what) const;
    bool hasMemoryType(uint32_t typeBits, VkMemoryPropertyFlags want) const;
    std::string label() const; // "llvmpipe (LLVM 15.0.6, 256 bits) [cpu, Vulkan]"

private:
    static VKAPI_ATTR VkBool32 VKAPI_CALL onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
                                                    const VkDebugUtilsMessengerCallbackDataEXT*, void*);
    void savePipelineCache();

    Api m_api;
    std::mutex m_queueMutex;
    VkInstance m_instance = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT m_messenger = VK_NULL_HANDLE;
    VkPhysicalDevice m_physical = VK_NULL_HANDLE;
    VkDevice m_device = VK_NULL_HANDLE;
    VkQueue m_queue = VK_NULL_HANDLE;
    uint32_t m_queueFamily = 0;
    VkCommandPool m_commandPool = VK_NULL_HANDLE;
    VkPipelineCache m_pipelineCache = VK_NULL_HANDLE;
    VkPhysicalDeviceMemoryProperties m_memory{};
    VkDeviceSize m_minStorageAlignment = 16, m_maxStorageRange = 1u << 27, m_maxTexelElements = 65536;
    VkDeviceSize m_maxAllocation = VkDeviceSize(1) << 30;
    float m_timestampPeriod = 0;
    uint32_t m_maxStorageBuffersPerStage = 4;
    DeviceInfo m_info;
    bool m_validation = false;
    std::atomic<int> m_validationErrors{0};
    std::string m_cachePath;
};

} // namespace qb::vk
