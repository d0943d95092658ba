#pragma once
// GPTQ over a whole model, layer by layer as its paper runs it:
//
//  1. The calibration tokens' hidden states (the quantized layers' outputs so
//     far) go through layer l with its weights in full precision; one Hessian
//     H = Σ x xᵀ is gathered per input the layer's matrices read (attention
//     input: q/k/v; o's input; FFN input: gate/up; down's input), shared by
//     the matrices that read it.
//  2. Every matrix GPTQ stores (Q4_0 / Q4_1 / Q8_0 in the plan) is quantized
//     with its input's Hessian (quant/gptq.h); the Hessians are freed.
//  3. Layer l is run again with those matrices quantized; its outputs are
//     layer l+1's inputs.
//
// The classifier, when GPTQ stores it, last, on the final norm's outputs.
// Only one layer's Hessians and the chunks' hidden states are held, plus the
// quantized bytes (what the file will hold of those tensors).
#include "model/model.h"
#include "quant/error_stats.h"
#include "quant/gptq.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qb {

struct GptqReport {
    int chunks = 0, tensors = 0, group = 32;
    int64_t tokens = 0;
    bool actOrder = false;
    double seconds = 0;
};

struct GptqModelResult {
    // file tensor name -> its bytes, method "gptq gG" (G: the group used, the
    // largest that divides the row, at most the one asked) and error against the source
    std::map<std::string, PreQuantized> tensors;
    GptqReport report;
};

struct GptqModelOptions {
    GptqOptions gptq;
    int threads = 0;
    // (0, steps) first, then one step per layer (and the classifier), repeated
    // between chunks and matrices inside a layer so a cancel is seen there; false = cancel
    std::function<bool(int stepsDone, int steps)> progress;
};

// `chunks`: tokenized calibration text (calibrationChunks()). `typeOf(name)`:
// each file tensor's planned type; GPTQ takes those it supports.
GptqModelResult gptqModel(const Model& model, const std::vector<std::vector<int>>& chunks, const std::function<GgmlType(const std::string&)>& typeOf,
                          const GptqModelOptions& options);

} // namespace qb
