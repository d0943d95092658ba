#pragma once
// Evaluation helpers shared by tests: perplexity on ../shared/text/tinystories_val.txt
// by llama-perplexity's method, and greedy decoding from BOS on any backend.
#include "model/forward.h"
#include "model/model.h"
#include "run/runner.h"

#include <vector>

namespace qbtest {

double valPerplexity(const qb::Model& model, int ctx = 512, int chunks = 50);
double valPerplexity(qb::ForwardPass& forward, const qb::Model& model, int ctx, int chunks);
// Logits of every position of `ids`, run in one batch on the CPU reference.
std::vector<float> cpuLogits(const qb::Model& model, const std::vector<int>& ids);
// openRunner on "cpu" or "vulkan" (2 threads; Vulkan with the validation layer on).
std::unique_ptr<qb::Runner> openValidated(const qb::Model& model, const std::string& device, int contextLength);
// Normalized mean squared error of `got` against `want` (1e30 if got has a non-finite value).
double nmse(const std::vector<float>& got, const std::vector<float>& want);
// A Vulkan result against its CPU twin's: equal bit for bit where `bitIdentical`
// (a CPU device running the bit-identical kernels: lavapipe), else nmse < 1e-6
// (GPUs: division, square root, exp to a few ulp). Empty when they agree, else what differs.
std::string compareToCpu(const std::vector<float>& got, const std::vector<float>& cpu, bool bitIdentical);
// compareToCpu for a whole forward pass's logits (VkForward::bitIdenticalWithCpu).
std::string compareWithCpu(const std::vector<float>& vulkan, const std::vector<float>& cpu, const qb::ForwardPass& engine);
// BOS followed by n greedy tokens, one forward() per token.
std::vector<int> greedyFromBos(qb::ForwardPass& forward, const qb::Model& model, int n);

} // namespace qbtest
