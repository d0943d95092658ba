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
// Vulkan logits against the CPU reference's: equal bit for bit where the device
// runs the bit-identical kernels (lavapipe), else nmse < 1e-6 (GPUs). Empty when
// they agree, else what differs.
std::string compareWithCpu(const std::vector<float>& vulkan, const std::vector<float>& cpu, const qb::ForwardPass& engine);
// BOS followed by n greedy tokens, one forward() per token.
std::vector<int> greedyFromBos(qb::ForwardPass& forward, const qb::Model& model, int n);

} // namespace qbtest
