#pragma once
// A compute pipeline: SPIR-V (embedded at build time), N bindings (storage
// buffers, or uniform texel buffers of a given format where texelFormats says
// so: lavapipe gathers texel fetches in SIMD but loads storage buffers lane by
// lane), a push-constant block and the workgroup size as specialization
// constant 0. The dispatch checks bindings and push size before recording.
#include "vk/context.h"

#include <cstdint>
#include <string>
#include <vector>

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
    Pipeline(Context& ctx, const std::string& shader, uint32_t bindings, uint32_t pushBytes, uint32_t workgroupSize,
             std::vector<VkFormat> texelFormats = {});
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    VkPipeline handle() const { return m_pipeline; }
    VkPipelineLayout layout() const { return m_layout; }
    VkDescriptorSetLayout setLayout() const { return m_setLayout; }
    uint32_t bindings() const { return m_bindings; }
    uint32_t pushBytes() const { return m_pushBytes; }
    uint32_t workgroupSize() const { return m_workgroup; }
    // VK_FORMAT_UNDEFINED for a storage buffer binding, else the texel format
    VkFormat texelFormat(uint32_t binding) const { return binding < m_texelFormats.size() ? m_texelFormats[binding] : VK_FORMAT_UNDEFINED; }
    const std::string& name() const { return m_name; }

private:
    Context& m_ctx;
    std::string m_name;
    uint32_t m_bindings, m_pushBytes, m_workgroup;
    std::vector<VkFormat> m_texelFormats;
    VkDescriptorSetLayout m_setLayout = VK_NULL_HANDLE;
    VkPipelineLayout m_layout = VK_NULL_HANDLE;
    VkPipeline m_pipeline = VK_NULL_HANDLE;
};

} // namespace qb::vk
