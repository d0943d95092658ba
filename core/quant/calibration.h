#pragma once
// Activation statistics from calibration text, gathered by running it through
// the CPU reference forward pass: for every weight matrix, what its input
// columns look like. Feeds the importance matrix, GPTQ's Hessians and static INT8
// scales (AWQ runs its own, layer by layer: quant/awq.h).
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
    std::vector<double> hessian;      // cols x cols: sum of x x^T (GPTQ), when asked
};

struct CalibrationOptions {
    int ctx = 512;             // tokens per chunk
    int maxChunks = 0;         // 0 = the whole text
    bool hessians = false;     // GPTQ needs them
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
