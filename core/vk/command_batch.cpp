#include "vk/command_batch.h"

#include "common/error.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace qb::vk {

namespace {
constexpr uint32_t kSetsPerPool = 512;
constexpr uint32_t kBuffersPerSet = 8;
constexpr uint32_t kMaxTimestamps = 4096;
} // namespace

CommandBatch::CommandBatch(Context& ctx) : m_ctx(ctx) {
    const Api& a = m_ctx.api();
    // a pool of its own: recording never touches a pool another thread records into
    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pi.queueFamilyIndex = ctx.queueFamily();
    VK_CHECK(a.vkCreateCommandPool(ctx.device(), &pi, nullptr, &m_pool));
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = m_pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VK_CHECK(a.vkAllocateCommandBuffers(ctx.device(), &ai, &m_cb));
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(a.vkCreateFence(ctx.device(), &fi, nullptr, &m_fence));
    const char* prof = std::getenv("QUANTBENCH_VK_PROFILE");
    if (prof && *prof && std::strcmp(prof, "0") != 0 && ctx.timestampPeriod() > 0) {
        VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qi.queryCount = kMaxTimestamps;
        VK_CHECK(a.vkCreateQueryPool(ctx.device(), &qi, nullptr, &m_queries));
    }
}

CommandBatch::~CommandBatch() {
    const Api& a = m_ctx.api();
    for (VkDescriptorPool p : m_pools) a.vkDestroyDescriptorPool(m_ctx.device(), p, nullptr);
    if (m_queries) a.vkDestroyQueryPool(m_ctx.device(), m_queries, nullptr);
    if (m_fence) a.vkDestroyFence(m_ctx.device(), m_fence, nullptr);
    if (m_cb) a.vkFreeCommandBuffers(m_ctx.device(), m_pool, 1, &m_cb);
    if (m_pool) a.vkDestroyCommandPool(m_ctx.device(), m_pool, nullptr);
}

void CommandBatch::begin() {
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_CHECK(m_ctx.api().vkBeginCommandBuffer(m_cb, &bi));
    m_open = true;
    if (m_queries) {
        m_queryNames.clear();
        m_ctx.api().vkCmdResetQueryPool(m_cb, m_queries, 0, kMaxTimestamps);
        m_ctx.api().vkCmdWriteTimestamp(m_cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, m_queries, 0);
    }
}

VkDescriptorSet CommandBatch::allocateSet(const Pipeline& p) {
    const Api& a = m_ctx.api();
    for (;;) {
        if (m_poolInUse == m_pools.size()) {
            const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kBuffersPerSet},
                                                  {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kSetsPerPool * kBuffersPerSet}};
            VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
            pi.maxSets = kSetsPerPool;
            pi.poolSizeCount = 2;
            pi.pPoolSizes = sizes;
            VkDescriptorPool pool;
            VK_CHECK(a.vkCreateDescriptorPool(m_ctx.device(), &pi, nullptr, &pool));
            m_pools.push_back(pool);
        }
        VkDescriptorSetLayout layout = p.setLayout();
        VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
        ai.descriptorPool = m_pools[m_poolInUse];
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        VkDescriptorSet set;
        const VkResult r = a.vkAllocateDescriptorSets(m_ctx.device(), &ai, &set);
        if (r == VK_SUCCESS) return set;
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) VK_CHECK(r);
        ++m_poolInUse; // this pool is full: next one
    }
}

void CommandBatch::dispatch(const Pipeline& p, std::span<const Buffer* const> buffers, const void* push, uint32_t pushBytes,
                            uint32_t gx, uint32_t gy, uint32_t gz) {
    if (buffers.size() != p.bindings())
        throw Error("Vulkan: pipeline '" + p.name() + "' takes " + std::to_string(p.bindings()) + " buffers, got " + std::to_string(buffers.size()),
                    ErrorKind::Internal);
    if (pushBytes != p.pushBytes())
        throw Error("Vulkan: pipeline '" + p.name() + "' takes " + std::to_string(p.pushBytes()) + " push-constant bytes, got " +
                        std::to_string(pushBytes),
                    ErrorKind::Internal);
    if (gx == 0 || gy == 0 || gz == 0) return;
    if (gx > 65535 || gy > 65535 || gz > 65535)
        throw Error("Vulkan: pipeline '" + p.name() + "': " + std::to_string(gx) + "x" + std::to_string(gy) + "x" + std::to_string(gz) +
                        " workgroups exceed the 65535 limit",
                    ErrorKind::Internal);
    const Api& a = m_ctx.api();
    if (!m_open) begin();
    if (m_failAfter >= 0 && m_failAfter-- == 0) throw Error("Vulkan: injected recording failure (test hook)", ErrorKind::Internal);
    std::vector<uint64_t> key{uint64_t(reinterpret_cast<uintptr_t>(p.handle()))};
    for (const Buffer* b : buffers) key.push_back(uint64_t(reinterpret_cast<uintptr_t>(b->handle())));
    VkDescriptorSet set;
    if (auto it = m_sets.find(key); it != m_sets.end()) {
        set = it->second;
    } else {
        set = allocateSet(p);
        std::vector<VkDescriptorBufferInfo> infos;
        std::vector<VkBufferView> views;
        for (const Buffer* b : buffers) {
            infos.push_back({b->handle(), 0, VK_WHOLE_SIZE});
            const VkFormat f = p.texelFormat(uint32_t(views.size()));
            if (f == VK_FORMAT_UNDEFINED && b->size() > m_ctx.maxStorageRange())
                throw Error("Vulkan: buffer '" + b->name() + "' of " + std::to_string(b->size()) + " bytes exceeds the device's maxStorageBufferRange (" +
                            std::to_string(m_ctx.maxStorageRange()) + ") on " + m_ctx.info().name + " (pipeline '" + p.name() + "')");
            views.push_back(f == VK_FORMAT_UNDEFINED ? VK_NULL_HANDLE : b->texelView(f));
        }
        std::vector<VkWriteDescriptorSet> writes;
        for (uint32_t i = 0; i < infos.size(); ++i) {
            VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
            w.dstSet = set;
            w.dstBinding = i;
            w.descriptorCount = 1;
            if (views[i]) {
                w.descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
                w.pTexelBufferView = &views[i];
            } else {
                w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                w.pBufferInfo = &infos[i];
            }
            writes.push_back(w);
        }
        a.vkUpdateDescriptorSets(m_ctx.device(), uint32_t(writes.size()), writes.data(), 0, nullptr);
        m_sets.emplace(std::move(key), set);
    }
    a.vkCmdBindPipeline(m_cb, VK_PIPELINE_BIND_POINT_COMPUTE, p.handle());
    a.vkCmdBindDescriptorSets(m_cb, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout(), 0, 1, &set, 0, nullptr);
    if (pushBytes) a.vkCmdPushConstants(m_cb, p.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, pushBytes, push);
    a.vkCmdDispatch(m_cb, gx, gy, gz);
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    a.vkCmdPipelineBarrier(m_cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
    if (m_queries && m_queryNames.size() + 1 < kMaxTimestamps) {
        m_queryNames.push_back(p.name());
        a.vkCmdWriteTimestamp(m_cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, m_queries, uint32_t(m_queryNames.size()));
    }
}

void CommandBatch::submitAndWait() {
    if (!m_open) return;
    const Api& a = m_ctx.api();
    VK_CHECK(a.vkEndCommandBuffer(m_cb));
    m_open = false;
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &m_cb;
    {
        const auto lock = m_ctx.lockQueue();
        VK_CHECK(a.vkQueueSubmit(m_ctx.queue(), 1, &si, m_fence));
    }
    VK_CHECK(a.vkWaitForFences(m_ctx.device(), 1, &m_fence, VK_TRUE, UINT64_MAX));
    VK_CHECK(a.vkResetFences(m_ctx.device(), 1, &m_fence));
    VK_CHECK(a.vkResetCommandBuffer(m_cb, 0));
    if (m_queries && !m_queryNames.empty()) {
        std::vector<uint64_t> ts(m_queryNames.size() + 1);
        VK_CHECK(a.vkGetQueryPoolResults(m_ctx.device(), m_queries, 0, uint32_t(ts.size()), ts.size() * 8, ts.data(), 8,
                                         VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
        for (size_t i = 0; i < m_queryNames.size(); ++i) {
            PipelineTime& pt = m_profile[m_queryNames[i]];
            pt.dispatches += 1;
            pt.ns += double(ts[i + 1] - ts[i]) * double(m_ctx.timestampPeriod());
        }
        m_batches += 1;
    }
}

std::string CommandBatch::profileReport() const {
    if (m_profile.empty()) return {};
    std::vector<std::pair<std::string, PipelineTime>> rows(m_profile.begin(), m_profile.end());
    std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.second.ns > y.second.ns; });
    double total = 0;
    uint64_t dispatches = 0;
    for (const auto& r : rows) {
        total += r.second.ns;
        dispatches += r.second.dispatches;
    }
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(1);
    o << "Vulkan device time per pipeline (" << m_ctx.info().name << ", " << m_batches << " submits, " << dispatches << " dispatches, "
      << total / 1e6 << " ms):\n";
    for (const auto& [name, pt] : rows)
        o << "  " << name << std::string(name.size() < 30 ? 30 - name.size() : 1, ' ') << pt.ns / 1e6 << " ms  " << 100.0 * pt.ns / total << "%  "
          << pt.dispatches << " dispatches, " << pt.ns / 1e3 / double(pt.dispatches) << " us each\n";
    return o.str();
}

void CommandBatch::discard() {
    if (!m_open) return;
    const Api& a = m_ctx.api();
    a.vkEndCommandBuffer(m_cb); // its result does not matter: the commands are dropped
    VK_CHECK(a.vkResetCommandBuffer(m_cb, 0));
    m_open = false;
    m_queryNames.clear();
}

void CommandBatch::forgetDescriptorSets() {
    for (VkDescriptorPool p : m_pools) VK_CHECK(m_ctx.api().vkResetDescriptorPool(m_ctx.device(), p, 0));
    m_poolInUse = 0;
    m_sets.clear();
}

} // namespace qb::vk
