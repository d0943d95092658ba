#pragma once
// One quantization as a user asks for it: a recipe, a method, and where its
// calibration comes from (a text to run through the model, or an imatrix
// file). Gathers the activation statistics the method needs, then runs the
// quantizer; progress and cancel through a Job (stages "calibration", "gptq"
// or "awq", and "quantize"; a mix adds "sensitivity" before and "mix check" after them). Shared by the CLI's quantize, the sweep and the GUI.
#include "quant/mix_job.h"
#include "quant/quantizer.h"
#include "run/job.h"

#include <string>

namespace qb {

struct QuantizeSpec {
    QuantizeOptions options;       // target, pure, method, group, actOrder, damp, staticActivations, threads
    std::string calibrationText;   // path: imatrix / GPTQ / AWQ / static INT8 calibration
    std::string imatrixPath;       // an imatrix file instead of calibrating
    int calibrationCtx = 0;        // tokens per chunk; 0 = the method's default (calibrationCtxFor)
    int calibrationChunks = 0;     // 0 = the whole text
    // A mix chosen from measured sensitivity on the calibration text instead
    // of options.target (quant/mix_job.h), among these types.
    std::optional<MixTarget> mixTarget;
    std::vector<GgmlType> mixTypes = defaultMixTypes();
    std::shared_ptr<const SensitivityTable> mixMeasured; // reuse (MixSpec::measured)
};

// Calibration chunk lengths by default: 512 as llama-imatrix (imatrix, GPTQ,
// static INT8, mixes); 128 for AWQ, whose held-out check needs several chunks
// from a short text and whose scales fit short and long contexts alike with
// them (docs/QUANTIZATION.md, "AWQ").
constexpr int kCalibrationCtx = 512;
constexpr int kAwqCalibrationCtx = 128;
int calibrationCtxFor(const QuantizeSpec& spec, bool awq);

// Checks that the method has what it needs (names the missing option); an
// imatrix file with method rtn means method imatrix, as llama-quantize --imatrix.
void validateQuantizeSpec(QuantizeSpec& spec);

QuantizeReport runQuantize(const Model& model, const std::string& outputPath, QuantizeSpec spec, Job& job = noJob());

// AWQ's search on the calibration text for the types `options` plans (stage "awq", per layer).
AwqResult awqFromText(const Model& model, const std::string& textPath, const QuantizeOptions& options, int ctx, int chunks, Job& job = noJob());

// GPTQ layer by layer on the calibration text, for the types `options` plans
// with its group, order and damping (stage "gptq", per layer).
GptqModelResult gptqFromText(const Model& model, const std::string& textPath, const QuantizeOptions& options, int ctx, int chunks, Job& job = noJob());

// The statistics calibration gathers (exposed for `imatrix`).
CalibrationStats calibrateFromText(const Model& model, const std::string& textPath, int ctx, int chunks, int threads, Job& job = noJob());

} // namespace qb
