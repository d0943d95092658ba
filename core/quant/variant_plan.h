#pragma once
// What a quantization will make, before making it: every tensor's type (the
// recipe's plan, exactly as the quantizer applies it), the file's metadata,
// and its size. The GUI shows the size next to each precision; the quantizer
// writes from the same plan.
#include "formats/gguf_writer.h"
#include "model/model.h"
#include "quant/quantizer.h"
#include "quant/recipe.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qb {

struct VariantPlan {
    Recipe recipe;
    std::vector<GgmlType> types;   // per model.tensors, after the row-length fallback
    std::vector<GgmlType> wanted;  // per model.tensors, before it
    uint64_t weightBytes = 0;      // tensor data as written (per-channel scales included)
    uint64_t fileBytes = 0;        // the GGUF's size: header, tensor infos, aligned data
    int64_t parameters = 0;
    double bitsPerWeight() const { return parameters > 0 ? 8.0 * double(weightBytes) / double(parameters) : 0.0; }
};

// Uses options.target, pure, imatrix (present or not), method and its
// settings (they are recorded in the metadata). Throws naming the target when
// it is not a known type or recipe.
VariantPlan planVariant(const Model& model, const QuantizeOptions& options);

// The quantized file's metadata: the source's, plus file type, recipe, method.
void setVariantMetadata(GgufWriter& writer, const Model& model, const Recipe& recipe, const QuantizeOptions& options);

} // namespace qb
