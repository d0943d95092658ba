#pragma once
// AWQ, activation-aware weight quantization (Lin et al., 2023, and its
// reference code llm-awq), before RTN. Layer by layer, on calibration text:
//
//  1. The layer's inputs (the full-precision outputs of the layer before) are
//     run through it once; its outputs are the target, and the inputs of
//     every weight matrix are kept for this layer only.
//  2. For each group of weights that read the same input (q/k/v, o when there
//     is no GQA, gate/up, down), in that order: per-input-channel scales
//     s = mean|x|^alpha / sqrt(max·min), alpha = 0, 1/20 .. 19/20; each weight
//     becomes Q(W·s)/s and the layer is run again; alpha minimises the squared
//     error of the layer's output (the block's own output error). alpha = 0 is
//     plain RTN.
//  3. Scales are folded: the weights' columns multiplied by s, the op that
//     produces their input (RMSNorm gain, or the previous matrix's rows and
//     bias) divided by s. The model's function is unchanged before quantizing.
//  4. Clipping: for every quantized weight (q and k too, which llm-awq skips;
//     the held-out check of step 5 decides), per row and 32-column group, the
//     largest |w| is shrunk to 1, 0.95 .. 0.55 of itself where that lowers the
//     group's output error on the (scaled) inputs.
//  5. Held-out rejection: every 4th calibration chunk is kept out of the
//     searches. A group's scales are kept only if they lower the layer's output
//     error on the held-out chunks against RTN; a weight's clipping only if it
//     lowers that weight's output error on them.
//
// Only one layer's activations and F32 weights are held at a time: at the end
// of each layer its matrices are quantized to their planned types.
#include "model/model.h"
#include "quant/error_stats.h"
#include "quant/ggml_type.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qb {

struct AwqOptions {
    int scaleGrid = 20;    // alpha = i / scaleGrid, i < scaleGrid
    int clipSteps = 10;    // shrink = 1 - i / 20, i < clipSteps (down to 0.55)
    int clipTokens = 512;  // input rows sampled (evenly) for the clipping search, and as many held out
    int heldOutEvery = 4;  // chunk c is held out when c % heldOutEvery == heldOutEvery - 1
    int threads = 0;
    // Quantize each layer's rewritten matrices to their planned types when the
    // layer is done (AwqResult::quantized); false keeps all of them in F32 in
    // `overrides` (the folded model in float, as the folding check writes it).
    bool quantizeEachLayer = true;
    std::function<bool(int layersDone, int layers)> progress; // false = cancel
};

struct AwqGroupReport {
    std::string first;        // the group's first weight: "blk.0.attn_q.weight"
    float alpha = 0;          // the search's choice (0 = RTN)
    double heldOutRtn = 0;    // layer-output squared error on the held-out chunks, RTN
    double heldOutScaled = 0; // the same with the chosen scales
    bool kept = false;        // scales folded into the weights
};

struct AwqClipReport {
    std::string name;
    double heldOutBefore = 0, heldOutAfter = 0; // the weight's output squared error on held-out inputs, unclipped / clipped
    double meanShrink = 1;                      // mean over groups of the chosen max|w| fraction
    bool kept = false;
};

struct AwqReport {
    std::vector<AwqGroupReport> groups;
    std::vector<AwqClipReport> clips;
    int searchChunks = 0, heldOutChunks = 0, tokens = 0;
    double seconds = 0;
};

struct AwqResult {
    // Tensors the file stores quantized, quantized (RTN of the scaled, clipped
    // values) as each layer is done, so only one layer's F32 copies are held.
    std::map<std::string, PreQuantized> quantized;
    // The others AWQ changed (norm gains, biases, matrices kept in float): new F32 values (rows x cols).
    std::map<std::string, std::vector<float>> overrides;
    AwqReport report;
};

// `chunks`: tokenized calibration text (calibrationChunks()); at least 2, so
// one can be held out. `typeOf(name)` is the type each tensor will be
// quantized to; groups none of whose weights is quantized are left alone.
AwqResult awqSearch(const Model& model, const std::vector<std::vector<int>>& chunks, const std::function<GgmlType(const std::string&)>& typeOf,
                    const AwqOptions& options = {});

} // namespace qb
