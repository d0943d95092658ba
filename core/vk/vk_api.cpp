#include "vk/vk_api.h"

#include "common/error.h"

#include <dlfcn.h>
#include <mutex>

namespace qb::vk {

namespace {

Api& loaderTable() {
    static Api table; // written once, under loaderApi's call_once; read-only after
    return table;
}

} // namespace

const Api& loaderApi() {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!lib) lib = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            failure = std::string("no Vulkan loader: cannot open libvulkan.so.1 (") + dlerror() + "); install libvulkan1 and a driver (mesa-vulkan-drivers)";
            return;
        }
        Api& a = loaderTable();
        a.vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
        if (!a.vkGetInstanceProcAddr) {
            failure = "no Vulkan loader: libvulkan.so.1 has no vkGetInstanceProcAddr";
            return;
        }
#define QB_VK_LOAD_GLOBAL(name) a.name = reinterpret_cast<PFN_##name>(a.vkGetInstanceProcAddr(nullptr, #name));
        QB_VK_GLOBAL_FUNCS(QB_VK_LOAD_GLOBAL)
#undef QB_VK_LOAD_GLOBAL
    });
    if (!failure.empty()) throw Error(failure, ErrorKind::Internal);
    return loaderTable();
}

void loadInstanceFunctions(Api& a, VkInstance instance) {
#define QB_VK_LOAD_INSTANCE(name) a.name = reinterpret_cast<PFN_##name>(a.vkGetInstanceProcAddr(instance, #name));
    QB_VK_INSTANCE_FUNCS(QB_VK_LOAD_INSTANCE)
#undef QB_VK_LOAD_INSTANCE
}

void loadDeviceFunctions(Api& a, VkDevice device) {
#define QB_VK_LOAD_DEVICE(name) a.name = reinterpret_cast<PFN_##name>(a.vkGetDeviceProcAddr(device, #name));
    QB_VK_DEVICE_FUNCS(QB_VK_LOAD_DEVICE)
#undef QB_VK_LOAD_DEVICE
}

const char* resultName(VkResult r) {
    switch (r) {
#define QB_CASE(x) case x: return #x;
        QB_CASE(VK_SUCCESS) QB_CASE(VK_NOT_READY) QB_CASE(VK_TIMEOUT) QB_CASE(VK_INCOMPLETE)
        QB_CASE(VK_ERROR_OUT_OF_HOST_MEMORY) QB_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY) QB_CASE(VK_ERROR_INITIALIZATION_FAILED)
        QB_CASE(VK_ERROR_DEVICE_LOST) QB_CASE(VK_ERROR_MEMORY_MAP_FAILED) QB_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        QB_CASE(VK_ERROR_EXTENSION_NOT_PRESENT) QB_CASE(VK_ERROR_FEATURE_NOT_PRESENT) QB_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        QB_CASE(VK_ERROR_TOO_MANY_OBJECTS) QB_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED) QB_CASE(VK_ERROR_FRAGMENTED_POOL)
        QB_CASE(VK_ERROR_OUT_OF_POOL_MEMORY) QB_CASE(VK_ERROR_UNKNOWN)
#undef QB_CASE
    default: return "VK_ERROR (unnamed)";
    }
}

void throwVkError(const char* call, VkResult r, const char* file, int line) {
    std::string msg = std::string("Vulkan: ") + call + " returned " + resultName(r) + " (" + file + ":" + std::to_string(line) + ")";
    if (r == VK_ERROR_DEVICE_LOST) msg += ": the device was lost (driver reset or crash); restart the run";
    throw Error(msg, ErrorKind::Internal);
}

} // namespace qb::vk
