#pragma once
// The quantization engine: any loaded model -> a GGUF file in the chosen
// precision. Streams tensor by tensor (one tensor in memory beyond the mapped
// input), quantizes rows on a thread pool, reports per-tensor error, checks
// for cancellation between tensors and inside large ones, and writes to a
// temporary file renamed into place only on success.
#include "model/model.h"
#include "quant/awq.h"
#include "quant/calibration.h"
#include "quant/gptq_layers.h"
#include "quant/imatrix.h"
#include "quant/mix_plan.h"
#include "quant/recipe.h"

#include <functional>
#include <string>
#include <vector>

namespace qb {

// serialized in quantbench.method metadata: never rename.
enum class QuantMethod { Rtn, Imatrix, Gptq, Awq };
const char* methodName(QuantMethod m);
std::optional<QuantMethod> methodFromName(const std::string& name);

struct QuantizeProgress {
    int tensorIndex = 0;    // 1-based, the tensor being (or just) processed
    int tensorCount = 0;
    std::string tensorName;
    uint64_t bytesDone = 0; // of input weights
    uint64_t bytesTotal = 0;
    double seconds = 0;
    double etaSeconds = 0;
};

struct QuantizeOptions {
    std::string target = "Q8_0";   // recipe: Q4_K_M, Q8_0, F16, ...
    bool pure = false;
    QuantMethod method = QuantMethod::Rtn;
    const ImportanceMatrix* imatrix = nullptr;      // imatrix method
    const CalibrationStats* calibration = nullptr;  // static INT8 (input ranges)
    const GptqModelResult* gptq = nullptr;          // gptq: the tensors it quantized (gptqModel, for this plan's types, group, order)
    const AwqResult* awq = nullptr;                 // awq: the scaled, clipped weights (awqSearch, for this plan's types)
    int group = 32;        // gptq's settings (runQuantize hands them to gptqModel)
    bool actOrder = false;
    float damp = 0.01f;
    // INT8 (W8A8): activations quantized per token at run time (dynamic), or
    // with per-layer scales calibrated once and stored in the file (static;
    // needs `calibration`).
    bool staticActivations = false;
    int threads = 0;
    std::string calibrationSource; // recorded in metadata
    // A mix (quant/mix_plan.h): these tensors take these types instead of the
    // recipe's, and `recipeLabel` ("auto 4.50 bpw") names the file's recipe.
    std::vector<std::pair<std::string, GgmlType>> typeOverrides;
    std::string recipeLabel;
    // Called between tensors and inside large ones; return false to cancel.
    std::function<bool(const QuantizeProgress&)> progress;
};

struct TensorReport {
    std::string name;
    std::string sourceType, type;
    std::string fallbackFrom; // the recipe's type when rows were too short for it (llama-quantize's fallback), else empty
    std::vector<int64_t> shape;
    uint64_t sourceBytes = 0, bytes = 0;
    double rmse = 0, maxAbsError = 0, snrDb = 0, relFrobenius = 0;
    std::string method; // "copy", "rtn", "imatrix", "gptq", "awq+rtn"
};

struct QuantizeReport {
    std::string input, output, recipe, method;
    uint64_t inputBytes = 0, outputBytes = 0, weightBytesIn = 0, weightBytesOut = 0;
    int64_t parameters = 0;
    double seconds = 0;
    int threads = 0;
    std::vector<TensorReport> tensors;
    std::optional<MixReport> mix; // when the types were chosen from measured sensitivity
    std::optional<AwqReport> awq; // method awq: what its search chose and what the held-out text said
    std::optional<GptqReport> gptq; // method gptq: its calibration and time (the tensors' rows say "gptq gG")
};

QuantizeReport quantizeModel(const Model& model, const std::string& outputPath, const QuantizeOptions& options);

} // namespace qb
