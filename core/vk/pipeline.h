#pragma once
// A compute pipeline: SPIR-V (embedded at build time), N storage-buffer
// bindings, a push-constant block and the workgroup size as specialization
// constant 0. The dispatch checks bindings and push size before recording.
#include "vk/context.h"

#include <cstdint>
#include <string>

namespace qb::vk {

struct ShaderCode {
    const char* name;
    const uint32_t* words;
    size_t wordCount;
};

// The embedded SPIR-V of one shader variant, e.g. "matmul_q4_0"; throws naming it when absent.
ShaderCode shaderCode(const std::string& name);

class Pipeline {
public:
    Pipeline(Context& ctx, const std::string& shader, uint32_t bindings, uint32_t pushBytes, uint32_t workgroupSize);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    VkPipeline handle() const { return m_pipeline; }
    VkPipelineLayout layout() const { return m_layout; }
    VkDescriptorSetLayout setLayout() const { return m_setLayout; }
    uint32_t bindings() const { return m_bindings; }
    uint32_t pushBytes() const { return m_pushBytes; }
    uint32_t workgroupSize() const { return m_workgroup; }
    const std::string& name() const { return m_name; }

private:
    Context& m_ctx;
    std::string m_name;
    uint32_t m_bindings, m_pushBytes, m_workgroup;
    VkDescriptorSetLayout m_setLayout = VK_NULL_HANDLE;
    VkPipelineLayout m_layout = VK_NULL_HANDLE;
    VkPipeline m_pipeline = VK_NULL_HANDLE;
};

} // namespace qb::vk
