#include "quant/variant_plan.h"

#include "common/error.h"
#include "model/model_metadata.h"

#include <filesystem>

namespace qb {

namespace {

Recipe recipeOrThrow(const std::string& target) {
    if (auto recipe = recipeFromName(target)) return *recipe;
    std::string names;
    for (const auto& n : recipeNames()) names += (names.empty() ? "" : ", ") + n;
    throw Error("quantize: unknown type or recipe '" + target + "', expected one of " + names);
}

} // namespace

void setVariantMetadata(GgufWriter& writer, const Model& model, const Recipe& recipe, const QuantizeOptions& o) {
    for (auto& [k, v] : ggufMetadataFor(model)) writer.set(k, v);
    writer.set("general.file_type", GgufValue::u32(uint32_t(recipe.fileType)));
    writer.set("general.quantization_version", GgufValue::u32(2));
    writer.set("quantbench.method", GgufValue::str(methodName(o.method)));
    writer.set("quantbench.recipe", GgufValue::str(recipe.name + (o.pure && o.recipeLabel.empty() ? " (pure)" : "")));
    writer.set("quantbench.source", GgufValue::str(std::filesystem::path(model.path).filename().string()));
    if (o.method == QuantMethod::Gptq) {
        writer.set("quantbench.gptq.group_size", GgufValue::u32(uint32_t(o.group)));
        writer.set("quantbench.gptq.act_order", GgufValue::boolean(o.actOrder));
        writer.set("quantbench.gptq.damp", GgufValue::f32(o.damp));
    }
    if (!o.calibrationSource.empty()) writer.set("quantbench.calibration", GgufValue::str(o.calibrationSource));
    if (recipe.baseType == GgmlType::QB_I8_CH)
        writer.set("quantbench.activation_quant", GgufValue::str(o.staticActivations ? "static" : "dynamic"));
    else if (recipe.baseType == GgmlType::QB_F8_E4M3_CH)
        writer.set("quantbench.activation_quant", GgufValue::str("none"));
}

VariantPlan planVariant(const Model& model, const QuantizeOptions& o) {
    VariantPlan plan;
    plan.recipe = recipeOrThrow(o.target);
    RecipeContext ctx;
    ctx.nLayers = model.config.nLayers;
    ctx.nHeads = model.config.nHeads;
    ctx.nKvHeads = model.config.nKvHeads;
    ctx.pure = o.pure;
    ctx.hasImatrix = o.imatrix != nullptr || o.method == QuantMethod::Imatrix;
    ctx.hasOutputTensor = false;
    std::vector<TensorPlanInput> in;
    for (const Tensor& t : model.tensors) {
        in.push_back({t.name, t.shape, t.type});
        ctx.hasOutputTensor |= t.name == "output.weight";
    }
    plan.types = planTensorTypes(in, plan.recipe, ctx, &plan.wanted);
    for (const auto& [name, type] : o.typeOverrides) {
        size_t i = 0;
        while (i < model.tensors.size() && model.tensors[i].name != name) ++i;
        if (i == model.tensors.size()) throw fileError(model.path, "has no tensor '" + name + "' to give the type " + typeName(type));
        if (model.tensors[i].cols() % traits(type).blockElements != 0)
            throw fileError(model.path, "tensor '" + name + "': rows of " + std::to_string(model.tensors[i].cols()) + " values, expected a multiple of " +
                                            std::to_string(traits(type).blockElements) + " for " + typeName(type));
        plan.types[i] = plan.wanted[i] = type;
    }
    if (!o.recipeLabel.empty()) plan.recipe.name = o.recipeLabel;
    plan.parameters = model.parameterCount();

    // the file's layout as the quantizer writes it, tensors without data
    GgufWriter layout;
    setVariantMetadata(layout, model, plan.recipe, o);
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor& t = model.tensors[i];
        const GgmlType type = plan.types[i];
        layout.addTensor({t.name, type, t.shape, {}});
        plan.weightBytes += GgufWriter::tensorBytes(type, t.shape);
        if (hasRowScale(type)) {
            layout.addTensor({t.name + "_scale", GgmlType::F32, {t.rows()}, {}});
            plan.weightBytes += uint64_t(t.rows()) * 4;
            if (o.staticActivations) {
                layout.addTensor({t.name + "_input_scale", GgmlType::F32, {1}, {}});
                plan.weightBytes += 4;
            }
        }
    }
    plan.fileBytes = layout.fileBytes();
    return plan;
}

} // namespace qb
