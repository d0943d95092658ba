#include "vk/pipeline.h"

#include "common/error.h"

#include <vector>

namespace qb::vk {

Pipeline::Pipeline(Context& ctx, const std::string& shader, uint32_t bindings, uint32_t pushBytes, uint32_t workgroupSize,
                   std::vector<VkFormat> texelFormats)
    : m_ctx(ctx), m_name(shader), m_bindings(bindings), m_pushBytes(pushBytes), m_workgroup(workgroupSize), m_texelFormats(std::move(texelFormats)) {
    const Api& a = m_ctx.api();
    const ShaderCode code = shaderCode(shader);
    VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mi.codeSize = code.wordCount * 4;
    mi.pCode = code.words;
    VkShaderModule module;
    VK_CHECK(a.vkCreateShaderModule(ctx.device(), &mi, nullptr, &module));

    std::vector<VkDescriptorSetLayoutBinding> b(bindings);
    for (uint32_t i = 0; i < bindings; ++i)
        b[i] = {i, texelFormat(i) == VK_FORMAT_UNDEFINED ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1,
                VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    li.bindingCount = bindings;
    li.pBindings = b.data();
    VK_CHECK(a.vkCreateDescriptorSetLayout(ctx.device(), &li, nullptr, &m_setLayout));
    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, pushBytes};
    VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pl.setLayoutCount = 1;
    pl.pSetLayouts = &m_setLayout;
    pl.pushConstantRangeCount = pushBytes ? 1 : 0;
    pl.pPushConstantRanges = pushBytes ? &range : nullptr;
    VK_CHECK(a.vkCreatePipelineLayout(ctx.device(), &pl, nullptr, &m_layout));

    VkSpecializationMapEntry entry{0, 0, sizeof(uint32_t)};
    VkSpecializationInfo spec{1, &entry, sizeof(uint32_t), &m_workgroup};
    VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_COMPUTE_BIT, module, "main", &spec};
    ci.layout = m_layout;
    const VkResult r = a.vkCreateComputePipelines(ctx.device(), ctx.pipelineCache(), 1, &ci, nullptr, &m_pipeline);
    a.vkDestroyShaderModule(ctx.device(), module, nullptr);
    if (r != VK_SUCCESS) throw Error("Vulkan: cannot create pipeline '" + shader + "': " + resultName(r), ErrorKind::Internal);
}

Pipeline::~Pipeline() {
    const Api& a = m_ctx.api();
    if (m_pipeline) a.vkDestroyPipeline(m_ctx.device(), m_pipeline, nullptr);
    if (m_layout) a.vkDestroyPipelineLayout(m_ctx.device(), m_layout, nullptr);
    if (m_setLayout) a.vkDestroyDescriptorSetLayout(m_ctx.device(), m_setLayout, nullptr);
}

} // namespace qb::vk
