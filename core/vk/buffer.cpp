#include "vk/buffer.h"

#include "common/error.h"

#include <cstring>

namespace qb::vk {

Buffer::Buffer(Context& ctx, VkDeviceSize bytes, Placement placement, std::string name) : m_ctx(ctx), m_name(std::move(name)), m_size(bytes) {
    const Api& a = m_ctx.api();
    if (bytes == 0) bytes = 4;
    if (bytes > ctx.maxAllocation()) // refused before asking the driver: sizes can come from a file's header or a requested context
        throw Error("Vulkan: buffer '" + m_name + "' needs " + std::to_string(bytes) + " bytes, more than " + ctx.info().name +
                    " allows in one allocation (" + std::to_string(ctx.maxAllocation()) + " bytes)");
    // (how a buffer may be bound is checked where it is bound: storage range or texel count)
    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = (bytes + 15) / 16 * 16; // whole 16-byte texels
    m_paddedSize = bi.size;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VK_CHECK(a.vkCreateBuffer(ctx.device(), &bi, nullptr, &m_buffer));
    VkMemoryRequirements req;
    a.vkGetBufferMemoryRequirements(ctx.device(), m_buffer, &req);
    const VkMemoryPropertyFlags hostFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    VkMemoryPropertyFlags want;
    if (placement == Placement::HostVisible) want = hostFlags;
    else if (ctx.hasMemoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | hostFlags))
        want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | hostFlags; // unified memory: map it directly
    else want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = ctx.memoryType(req.memoryTypeBits, want, "buffer '" + m_name + "'");
    const VkResult r = a.vkAllocateMemory(ctx.device(), &ai, nullptr, &m_memory);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
        a.vkDestroyBuffer(ctx.device(), m_buffer, nullptr);
        throw Error("Vulkan: out of device memory allocating '" + m_name + "' (" + std::to_string(req.size) + " bytes) on " + ctx.info().name,
                    ErrorKind::Internal);
    }
    VK_CHECK(r);
    VK_CHECK(a.vkBindBufferMemory(ctx.device(), m_buffer, m_memory, 0));
    if (want & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) VK_CHECK(a.vkMapMemory(ctx.device(), m_memory, 0, VK_WHOLE_SIZE, 0, &m_mapped));
}

Buffer::~Buffer() {
    const Api& a = m_ctx.api();
    for (const auto& [format, view] : m_views) a.vkDestroyBufferView(m_ctx.device(), view, nullptr);
    if (m_mapped) a.vkUnmapMemory(m_ctx.device(), m_memory);
    if (m_buffer) a.vkDestroyBuffer(m_ctx.device(), m_buffer, nullptr);
    if (m_memory) a.vkFreeMemory(m_ctx.device(), m_memory, nullptr);
}

VkBufferView Buffer::texelView(VkFormat format) const {
    if (auto it = m_views.find(format); it != m_views.end()) return it->second;
    const VkDeviceSize texel = format == VK_FORMAT_R32G32B32A32_UINT || format == VK_FORMAT_R32G32B32A32_SFLOAT ? 16 : format == VK_FORMAT_R32G32_SFLOAT ? 8 : 4;
    const VkDeviceSize texels = m_paddedSize / texel;
    if (texels > m_ctx.maxTexelElements())
        throw Error("Vulkan: buffer '" + m_name + "' holds " + std::to_string(texels) + " texels, more than the device's maxTexelBufferElements (" +
                    std::to_string(m_ctx.maxTexelElements()) + ")");
    VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
    vi.buffer = m_buffer;
    vi.format = format;
    vi.offset = 0;
    vi.range = texels * texel;
    VkBufferView view;
    VK_CHECK(m_ctx.api().vkCreateBufferView(m_ctx.device(), &vi, nullptr, &view));
    m_views.emplace(format, view);
    return view;
}

void Buffer::upload(const void* data, VkDeviceSize bytes, VkDeviceSize offset) {
    if (offset + bytes > m_size) throw Error("Vulkan: upload past the end of buffer '" + m_name + "'", ErrorKind::Internal);
    if (m_mapped) {
        std::memcpy(static_cast<uint8_t*>(m_mapped) + offset, data, size_t(bytes));
        return;
    }
    Buffer staging(m_ctx, bytes, Placement::HostVisible, m_name + " (staging)");
    std::memcpy(staging.m_mapped, data, size_t(bytes));
    copyBuffer(m_ctx, staging, *this, bytes, 0, offset);
}

void Buffer::download(void* data, VkDeviceSize bytes, VkDeviceSize offset) const {
    if (offset + bytes > m_size) throw Error("Vulkan: download past the end of buffer '" + m_name + "'", ErrorKind::Internal);
    if (m_mapped) {
        std::memcpy(data, static_cast<const uint8_t*>(m_mapped) + offset, size_t(bytes));
        return;
    }
    Buffer staging(m_ctx, bytes, Placement::HostVisible, m_name + " (read-back)");
    copyBuffer(m_ctx, *this, staging, bytes, offset, 0);
    std::memcpy(data, staging.m_mapped, size_t(bytes));
}

void copyBuffer(Context& ctx, const Buffer& src, const Buffer& dst, VkDeviceSize bytes, VkDeviceSize srcOffset, VkDeviceSize dstOffset) {
    const Api& a = ctx.api();
    const auto lock = ctx.lockQueue(); // the context's command pool and queue, shared by every thread using it
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = ctx.commandPool();
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cb;
    VK_CHECK(a.vkAllocateCommandBuffers(ctx.device(), &ai, &cb));
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(a.vkBeginCommandBuffer(cb, &bi));
    VkBufferCopy region{srcOffset, dstOffset, bytes};
    a.vkCmdCopyBuffer(cb, src.handle(), dst.handle(), 1, &region);
    VK_CHECK(a.vkEndCommandBuffer(cb));
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    VK_CHECK(a.vkQueueSubmit(ctx.queue(), 1, &si, VK_NULL_HANDLE));
    VK_CHECK(a.vkQueueWaitIdle(ctx.queue()));
    a.vkFreeCommandBuffers(ctx.device(), ctx.commandPool(), 1, &cb);
}

} // namespace qb::vk
