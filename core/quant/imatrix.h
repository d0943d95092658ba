#pragma once
// The importance matrix: per weight tensor, the mean of x^2 over calibration
// tokens for each input column. Saved in llama.cpp's imatrix.dat layout so
// llama-quantize --imatrix can read ours and we can read its.
#include "quant/calibration.h"

#include <map>
#include <string>
#include <vector>

namespace qb {

struct ImportanceMatrix {
    std::map<std::string, std::vector<float>> values; // tensor name -> mean x^2 per column
    int chunks = 0;
    std::string dataset;

    const std::vector<float>* find(const std::string& tensor) const;
    static ImportanceMatrix fromCalibration(const CalibrationStats& stats, int chunks, const std::string& dataset);
    void save(const std::string& path) const;          // temporary file renamed into place
    static ImportanceMatrix load(const std::string& path);
};

} // namespace qb
