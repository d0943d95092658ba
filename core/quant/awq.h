#pragma once
// AWQ-style activation-aware scaling (Lin et al., 2023), before RTN: for each
// group of weights that read the same input (q/k/v, gate/up, down, and o when
// there is no GQA) pick per-input-channel scales s = mean|x|^alpha (alpha on a
// grid) that minimise the quantized layer's output error on calibration
// samples; multiply the weights' columns by s and divide the op that produces
// the input (RMSNorm gain, or the previous matrix's rows) by s. The model's
// function is unchanged before quantization. Weight clipping is not searched.
#include "quant/calibration.h"
#include "quant/ggml_type.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qb {

struct AwqResult {
    std::map<std::string, std::vector<float>> overrides; // tensor name -> new F32 values
    std::map<std::string, float> alpha;                   // first weight of each group -> chosen alpha
};

// `typeOf(name)` is the type the tensor will be quantized to.
AwqResult awqScales(const Model& model, const CalibrationStats& stats, const std::function<GgmlType(const std::string&)>& typeOf);

} // namespace qb
