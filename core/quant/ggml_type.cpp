#include "quant/ggml_type.h"

#include "common/error.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace qb {

namespace {
constexpr std::array<TypeTraits, 15> kTypes = {{
    {GgmlType::F32, "F32", 1, 4},
    {GgmlType::F16, "F16", 1, 2},
    {GgmlType::Q4_0, "Q4_0", 32, 18},
    {GgmlType::Q4_1, "Q4_1", 32, 20},
    {GgmlType::Q5_0, "Q5_0", 32, 22},
    {GgmlType::Q5_1, "Q5_1", 32, 24},
    {GgmlType::Q8_0, "Q8_0", 32, 34},
    {GgmlType::Q2_K, "Q2_K", 256, 84},
    {GgmlType::Q3_K, "Q3_K", 256, 110},
    {GgmlType::Q4_K, "Q4_K", 256, 144},
    {GgmlType::Q5_K, "Q5_K", 256, 176},
    {GgmlType::Q6_K, "Q6_K", 256, 210},
    {GgmlType::BF16, "BF16", 1, 2},
    {GgmlType::QB_I8_CH, "I8_CH", 1, 1},
    {GgmlType::QB_F8_E4M3_CH, "F8_E4M3_CH", 1, 1},
}};
} // namespace

std::optional<TypeTraits> typeTraits(uint32_t id) {
    for (const auto& t : kTypes)
        if (uint32_t(t.type) == id) return t;
    return std::nullopt;
}

const TypeTraits& traits(GgmlType type) {
    for (const auto& t : kTypes)
        if (t.type == type) return t;
    throw Error("internal: no traits for ggml type id " + std::to_string(uint32_t(type)), ErrorKind::Internal);
}

std::string typeName(GgmlType type) { return traits(type).name; }

std::optional<GgmlType> typeFromName(const std::string& name) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    for (const auto& t : kTypes)
        if (upper == t.name) return t.type;
    return std::nullopt;
}

} // namespace qb
