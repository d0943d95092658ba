#pragma once
// A storage buffer that says where it lives: device-local (weights, activations)
// or host-visible (staging, read-back). Device-local memory that the host can
// also map (lavapipe, unified memory) is written directly; otherwise uploads
// and downloads go through a staging buffer.
#include "vk/context.h"

#include <map>
#include <string>

namespace qb::vk {

enum class Placement { DeviceLocal, HostVisible };

class Buffer {
public:
    Buffer(Context& ctx, VkDeviceSize bytes, Placement placement, std::string name);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    VkBuffer handle() const { return m_buffer; }
    VkDeviceSize size() const { return m_size; }
    const std::string& name() const { return m_name; }

    void upload(const void* data, VkDeviceSize bytes, VkDeviceSize offset = 0);
    void download(void* data, VkDeviceSize bytes, VkDeviceSize offset = 0) const;
    // A view of the whole buffer as a uniform texel buffer of `format` (made
    // once per format); throws naming the buffer when it exceeds the device's
    // maxTexelBufferElements.
    VkBufferView texelView(VkFormat format) const;

private:
    Context& m_ctx;
    std::string m_name;
    VkDeviceSize m_size, m_paddedSize = 0;
    VkBuffer m_buffer = VK_NULL_HANDLE;
    VkDeviceMemory m_memory = VK_NULL_HANDLE;
    void* m_mapped = nullptr;
    mutable std::map<VkFormat, VkBufferView> m_views;
};

// Records one copy on the context's queue and waits for it.
void copyBuffer(Context& ctx, const Buffer& src, const Buffer& dst, VkDeviceSize bytes, VkDeviceSize srcOffset, VkDeviceSize dstOffset);

} // namespace qb::vk
