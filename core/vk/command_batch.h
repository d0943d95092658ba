#pragma once
// Records many dispatches into one command buffer and submits once (one per
// token in decode, one per batch in prefill). Every dispatch is followed by a
// compute-to-compute memory barrier; descriptor sets are written once per
// (pipeline, buffers) and reused by every later batch.
// QUANTBENCH_VK_PROFILE=1 writes a timestamp after every dispatch and sums the
// device time per pipeline (profileReport()).
#include "vk/buffer.h"
#include "vk/pipeline.h"

#include <initializer_list>
#include <map>
#include <string>
#include <span>
#include <vector>

namespace qb::vk {

class CommandBatch {
public:
    explicit CommandBatch(Context& ctx);
    ~CommandBatch();
    CommandBatch(const CommandBatch&) = delete;
    CommandBatch& operator=(const CommandBatch&) = delete;

    void dispatch(const Pipeline& p, std::span<const Buffer* const> buffers, const void* push, uint32_t pushBytes, uint32_t groupsX,
                  uint32_t groupsY = 1, uint32_t groupsZ = 1);
    void dispatch(const Pipeline& p, std::initializer_list<const Buffer*> buffers, const void* push, uint32_t pushBytes, uint32_t groupsX,
                  uint32_t groupsY = 1, uint32_t groupsZ = 1) {
        dispatch(p, std::span<const Buffer* const>(buffers.begin(), buffers.size()), push, pushBytes, groupsX, groupsY, groupsZ);
    }
    // Records, submits, waits; the batch is empty and reusable afterwards.
    void submitAndWait();
    // Drops whatever was recorded since the last submit (after a failure while
    // recording), so the next dispatch starts a clean command buffer.
    void discard();
    // Test hook: the dispatch after `dispatches` more throws (a failure mid-record).
    void failAfter(int dispatches) { m_failAfter = dispatches; }
    // Descriptor sets are cached per (pipeline, buffers); forget them when
    // any of those buffers is destroyed.
    void forgetDescriptorSets();
    // Device time per pipeline over all batches so far, slowest first; empty
    // unless profiling is on.
    std::string profileReport() const;

private:
    void begin();
    VkDescriptorSet allocateSet(const Pipeline& p);

    Context& m_ctx;
    VkCommandPool m_pool = VK_NULL_HANDLE;
    VkCommandBuffer m_cb = VK_NULL_HANDLE;
    VkFence m_fence = VK_NULL_HANDLE;
    std::vector<VkDescriptorPool> m_pools;
    size_t m_poolInUse = 0;
    std::map<std::vector<uint64_t>, VkDescriptorSet> m_sets;
    bool m_open = false;
    int m_failAfter = -1;
    // profiling (QUANTBENCH_VK_PROFILE)
    struct PipelineTime {
        uint64_t dispatches = 0;
        double ns = 0;
    };
    VkQueryPool m_queries = VK_NULL_HANDLE;
    std::vector<std::string> m_queryNames; // pipeline of each timestamp after the first
    std::map<std::string, PipelineTime> m_profile;
    uint64_t m_batches = 0;
};

} // namespace qb::vk
