#pragma once
// Activation statistics from calibration text, gathered by running it through
// the CPU reference forward pass: for every weight matrix, what its input
// columns look like. Feeds the importance matrix and static INT8 scales (a few
// numbers per column; AWQ and GPTQ run their own, layer by layer:
// quant/awq.h, quant/gptq_layers.h).
#include "model/model.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qb {

struct InputStats {
    int64_t cols = 0;
    int64_t tokens = 0;
    std::vector<double> sumSquares;   // per column: sum of x^2 (imatrix)
    double maxAbs = 0;                // over every value (W8A8 static scale)
};

struct CalibrationOptions {
    int ctx = 512;             // tokens per chunk
    int maxChunks = 0;         // 0 = the whole text
    int threads = 0;
    std::function<bool(int done, int total)> progress; // false = cancel
};

// Weight tensor name -> statistics of its inputs.
using CalibrationStats = std::map<std::string, InputStats>;

// The calibration text as the model reads it: chunks of up to `ctx` tokens
// (at most maxChunks, 0 = all), each starting with BOS as llama.cpp's imatrix does.
std::vector<std::vector<int>> calibrationChunks(const Model& model, const std::string& text, int ctx, int maxChunks);

CalibrationStats collectCalibration(const Model& model, const std::string& text, const CalibrationOptions& options);

} // namespace qb
