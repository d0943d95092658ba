#include "vk/context.h"

#include "common/error.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace qb::vk {

namespace {

const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

// Creates the instance and fills `a` (a copy of the loader's table) with its functions.
VkInstance createInstance(Api& a, bool validation, bool& haveDebugUtils) {
    a = loaderApi();
    std::vector<const char*> layers, extensions;
    if (validation) {
        uint32_t n = 0;
        a.vkEnumerateInstanceLayerProperties(&n, nullptr);
        std::vector<VkLayerProperties> props(n);
        a.vkEnumerateInstanceLayerProperties(&n, props.data());
        const bool found = std::any_of(props.begin(), props.end(), [](const VkLayerProperties& p) { return std::strcmp(p.layerName, kValidationLayer) == 0; });
        if (!found) throw Error("Vulkan: validation was asked for but VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)");
        layers.push_back(kValidationLayer);
    }
    uint32_t n = 0;
    a.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> exts(n);
    a.vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data());
    haveDebugUtils = validation && std::any_of(exts.begin(), exts.end(), [](const VkExtensionProperties& e) {
                         return std::strcmp(e.extensionName, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) == 0;
                     });
    if (haveDebugUtils) extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "QuantBench";
    app.apiVersion = VK_API_VERSION_1_2;
    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ci.pApplicationInfo = &app;
    ci.enabledLayerCount = uint32_t(layers.size());
    ci.ppEnabledLayerNames = layers.data();
    ci.enabledExtensionCount = uint32_t(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    VkInstance instance = VK_NULL_HANDLE;
    const VkResult r = a.vkCreateInstance(&ci, nullptr, &instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) throw Error("Vulkan: no device: no driver supports Vulkan 1.2 (install mesa-vulkan-drivers for lavapipe)");
    VK_CHECK(r);
    loadInstanceFunctions(a, instance);
    return instance;
}

const char* typeName(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

int typeRank(const std::string& t) { return t == "discrete" ? 0 : t == "integrated" ? 1 : t == "virtual" ? 2 : t == "cpu" ? 3 : 4; }

DeviceInfo describe(const Api& a, VkPhysicalDevice pd, int index) {
    DeviceInfo d;
    d.index = index;
    VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceDriverProperties drv{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    sub.pNext = &drv;
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &sub;
    a.vkGetPhysicalDeviceProperties2(pd, &p2);
    d.name = p2.properties.deviceName;
    d.type = typeName(p2.properties.deviceType);
    d.apiVersion = p2.properties.apiVersion;
    d.subgroupSize = sub.subgroupSize;
    d.driver = drv.driverName;
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    f11.pNext = &f12;
    VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    f2.pNext = &f11;
    a.vkGetPhysicalDeviceFeatures2(pd, &f2);
    d.float16 = f12.shaderFloat16 && f11.storageBuffer16BitAccess;
    d.float64 = f2.features.shaderFloat64 == VK_TRUE;
    d.int8 = f12.shaderInt8 && f12.storageBuffer8BitAccess;
    uint32_t n = 0;
    a.vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> exts(n);
    a.vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data());
    const bool dotExt = std::any_of(exts.begin(), exts.end(), [](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME) == 0;
    });
    if (dotExt) {
        VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR df{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR};
        VkPhysicalDeviceFeatures2 g2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        g2.pNext = &df;
        a.vkGetPhysicalDeviceFeatures2(pd, &g2);
        VkPhysicalDeviceShaderIntegerDotProductPropertiesKHR dp{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES_KHR};
        VkPhysicalDeviceProperties2 q2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
        q2.pNext = &dp;
        a.vkGetPhysicalDeviceProperties2(pd, &q2);
        d.integerDot = df.shaderIntegerDotProduct == VK_TRUE;
        d.integerDotAccelerated = d.integerDot && dp.integerDotProduct4x8BitPackedSignedAccelerated == VK_TRUE;
    }
    const bool computeSubgroups = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0;
    d.subgroupArithmetic = computeSubgroups && (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    d.subgroupShuffle = computeSubgroups && (sub.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
    VkPhysicalDeviceMemoryProperties mem;
    a.vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    for (uint32_t h = 0; h < mem.memoryHeapCount; ++h)
        if (mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) d.memoryBytes = std::max<uint64_t>(d.memoryBytes, mem.memoryHeaps[h].size);
    return d;
}

std::vector<VkPhysicalDevice> physicalDevices(const Api& a, VkInstance instance) {
    uint32_t n = 0;
    VK_CHECK(a.vkEnumeratePhysicalDevices(instance, &n, nullptr));
    std::vector<VkPhysicalDevice> devs(n);
    VK_CHECK(a.vkEnumeratePhysicalDevices(instance, &n, devs.data()));
    return devs;
}

std::string cacheDir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) return std::string(xdg) + "/quantbench";
    if (home && *home) return std::string(home) + "/.cache/quantbench";
    return {};
}

} // namespace

std::vector<DeviceInfo> Context::listDevices() {
    bool debugUtils = false;
    Api a;
    VkInstance instance = createInstance(a, false, debugUtils);
    std::vector<DeviceInfo> out;
    const auto devs = physicalDevices(a, instance);
    for (size_t i = 0; i < devs.size(); ++i) out.push_back(describe(a, devs[i], int(i)));
    a.vkDestroyInstance(instance, nullptr);
    return out;
}

namespace {
std::atomic<int> g_processValidationErrors{0};
}

int Context::processValidationErrors() { return g_processValidationErrors.load(); }

VKAPI_ATTR VkBool32 VKAPI_CALL Context::onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                                  const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    auto* self = static_cast<Context*>(user);
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ++self->m_validationErrors;
        ++g_processValidationErrors;
        std::fprintf(stderr, "Vulkan validation error: %s\n", data->pMessage);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        std::fprintf(stderr, "Vulkan validation warning: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

Context::Context(const ContextOptions& options) {
    const char* env = std::getenv("QUANTBENCH_VALIDATION");
    m_validation = options.validation || (env && std::strcmp(env, "0") != 0 && *env);
    bool debugUtils = false;
    m_instance = createInstance(m_api, m_validation, debugUtils);
    Api& a = m_api;
    if (debugUtils && a.vkCreateDebugUtilsMessengerEXT) {
        VkDebugUtilsMessengerCreateInfoEXT mi{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
        mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
        mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
        mi.pfnUserCallback = &Context::onMessage;
        mi.pUserData = this;
        VK_CHECK(a.vkCreateDebugUtilsMessengerEXT(m_instance, &mi, nullptr, &m_messenger));
    }
    const auto devs = physicalDevices(a, m_instance);
    if (devs.empty()) throw Error("Vulkan: no device: the loader found no Vulkan device (install mesa-vulkan-drivers for lavapipe)");
    std::vector<DeviceInfo> infos;
    for (size_t i = 0; i < devs.size(); ++i) infos.push_back(describe(a, devs[i], int(i)));
    std::string selector = options.selector;
    if (selector.empty())
        if (const char* s = std::getenv("QUANTBENCH_DEVICE")) selector = s;
    int chosen = -1;
    if (!selector.empty()) {
        const bool numeric = selector.find_first_not_of("0123456789") == std::string::npos;
        for (const auto& d : infos)
            if ((numeric && d.index == std::stoi(selector)) || (!numeric && d.name.find(selector) != std::string::npos)) { chosen = d.index; break; }
        if (chosen < 0) {
            std::string names;
            for (const auto& d : infos) names += (names.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
            throw Error("Vulkan: no device matches '" + selector + "' (QUANTBENCH_DEVICE or --device vulkan:N), available: " + names);
        }
    } else {
        chosen = std::min_element(infos.begin(), infos.end(), [](const DeviceInfo& x, const DeviceInfo& y) {
                     return typeRank(x.type) < typeRank(y.type);
                 })->index;
    }
    m_physical = devs[size_t(chosen)];
    m_info = infos[size_t(chosen)];

    VkPhysicalDeviceProperties props;
    a.vkGetPhysicalDeviceProperties(m_physical, &props);
    m_minStorageAlignment = props.limits.minStorageBufferOffsetAlignment;
    m_maxStorageRange = props.limits.maxStorageBufferRange;
    m_maxTexelElements = props.limits.maxTexelBufferElements;
    m_maxStorageBuffersPerStage = props.limits.maxPerStageDescriptorStorageBuffers;
    a.vkGetPhysicalDeviceMemoryProperties(m_physical, &m_memory);
    { // the largest single allocation: the driver's limit, and never more than the largest heap
        VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
        VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
        p2.pNext = &m3;
        a.vkGetPhysicalDeviceProperties2(m_physical, &p2);
        VkDeviceSize heap = 0;
        for (uint32_t h = 0; h < m_memory.memoryHeapCount; ++h) heap = std::max(heap, m_memory.memoryHeaps[h].size);
        m_maxAllocation = std::min(m3.maxMemoryAllocationSize, heap);
    }

    uint32_t nq = 0;
    a.vkGetPhysicalDeviceQueueFamilyProperties(m_physical, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> qf(nq);
    a.vkGetPhysicalDeviceQueueFamilyProperties(m_physical, &nq, qf.data());
    bool found = false;
    for (uint32_t i = 0; i < nq && !found; ++i)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) { m_queueFamily = i; found = true; }
    if (!found) throw Error("Vulkan: device '" + m_info.name + "' has no compute queue");
    if (qf[m_queueFamily].timestampValidBits > 0) m_timestampPeriod = props.limits.timestampPeriod;

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = m_queueFamily;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;
    VkPhysicalDeviceFeatures features{};
    features.shaderFloat64 = m_info.float64 ? VK_TRUE : VK_FALSE;
    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.pEnabledFeatures = &features;
    VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR dotFeatures{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR};
    const char* dotExtension = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
    if (m_info.integerDot) { // the DOT4 kernel variants
        dotFeatures.shaderIntegerDotProduct = VK_TRUE;
        di.pNext = &dotFeatures;
        di.enabledExtensionCount = 1;
        di.ppEnabledExtensionNames = &dotExtension;
    }
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    VK_CHECK(a.vkCreateDevice(m_physical, &di, nullptr, &m_device));
    loadDeviceFunctions(m_api, m_device);
    a.vkGetDeviceQueue(m_device, m_queueFamily, 0, &m_queue);

    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pi.queueFamilyIndex = m_queueFamily;
    VK_CHECK(a.vkCreateCommandPool(m_device, &pi, nullptr, &m_commandPool));

    // pipeline cache: per device, under the XDG cache dir
    std::vector<char> initial;
    const std::string dir = cacheDir();
    if (!dir.empty()) {
        std::string safe = m_info.name;
        for (char& ch : safe)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        m_cachePath = dir + "/pipelines-" + safe + ".bin";
        std::ifstream in(m_cachePath, std::ios::binary);
        if (in) initial.assign(std::istreambuf_iterator<char>(in), {});
    }
    VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    ci.initialDataSize = initial.size();
    ci.pInitialData = initial.empty() ? nullptr : initial.data();
    if (a.vkCreatePipelineCache(m_device, &ci, nullptr, &m_pipelineCache) != VK_SUCCESS) { // a stale cache: start empty
        ci.initialDataSize = 0;
        ci.pInitialData = nullptr;
        VK_CHECK(a.vkCreatePipelineCache(m_device, &ci, nullptr, &m_pipelineCache));
    }
}

void Context::savePipelineCache() {
    if (m_cachePath.empty() || !m_pipelineCache) return;
    size_t size = 0;
    if (m_api.vkGetPipelineCacheData(m_device, m_pipelineCache, &size, nullptr) != VK_SUCCESS || size == 0) return;
    std::vector<char> data(size);
    if (m_api.vkGetPipelineCacheData(m_device, m_pipelineCache, &size, data.data()) != VK_SUCCESS) return;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(m_cachePath).parent_path(), ec);
    // another context (another thread or process) may be saving too: a temporary of our own, renamed into place
    const std::string tmp = m_cachePath + "." + std::to_string(::getpid()) + "." + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".part";
    std::ofstream out(tmp, std::ios::binary);
    out.write(data.data(), std::streamsize(size));
    out.close();
    if (out) std::filesystem::rename(tmp, m_cachePath, ec);
    else std::filesystem::remove(tmp, ec);
}

Context::~Context() {
    Api& a = m_api;
    if (m_device) {
        a.vkDeviceWaitIdle(m_device);
        savePipelineCache();
        if (m_pipelineCache) a.vkDestroyPipelineCache(m_device, m_pipelineCache, nullptr);
        if (m_commandPool) a.vkDestroyCommandPool(m_device, m_commandPool, nullptr);
        a.vkDestroyDevice(m_device, nullptr);
    }
    if (m_messenger) a.vkDestroyDebugUtilsMessengerEXT(m_instance, m_messenger, nullptr);
    if (m_instance) a.vkDestroyInstance(m_instance, nullptr);
}

bool Context::hasMemoryType(uint32_t typeBits, VkMemoryPropertyFlags want) const {
    for (uint32_t i = 0; i < m_memory.memoryTypeCount; ++i)
        if ((typeBits & (1u << i)) && (m_memory.memoryTypes[i].propertyFlags & want) == want) return true;
    return false;
}

uint32_t Context::memoryType(uint32_t typeBits, VkMemoryPropertyFlags want, const std::string& what) const {
    for (uint32_t i = 0; i < m_memory.memoryTypeCount; ++i)
        if ((typeBits & (1u << i)) && (m_memory.memoryTypes[i].propertyFlags & want) == want) return i;
    throw Error("Vulkan: no memory type for " + what + " on " + m_info.name, ErrorKind::Internal);
}

std::string Context::label() const { return m_info.name + " [" + m_info.type + ", Vulkan]"; }

} // namespace qb::vk
