#pragma once
// The sweep: quantize a model to each precision asked for, measure every
// variant against a reference (perplexity, KL-divergence, top-1 agreement,
// multiple choice, speed, memory) and keep it all in DIR/results.json
// (docs/RESULTS.md). Variants already in DIR with the same provenance are
// reused, results are saved after each variant, so a cancelled sweep keeps
// what finished and the next run resumes; a variant that fails is recorded
// with its reason and the others go on.
#include "eval/results.h"
#include "quant/quantizer.h"
#include "run/job.h"
#include "run/runner.h"

#include <functional>
#include <string>
#include <vector>

namespace qb {

struct SweepVariant {
    std::string name;   // as written in --types: "Q4_K_M", "Q4_0:gptq", "AUTO@4.5"
    std::string type;   // the recipe or type: "Q4_K_M", "Q4_0"; "AUTO@4.5" for a mix
    QuantMethod method = QuantMethod::Rtn;
    double mixBpw = 0;  // > 0: a mix at this many bits per weight, chosen from measured sensitivity (quant/mix_job.h)
};

// "F16,Q8_0,Q4_0:gptq,AUTO@4.5" -> variants; throws naming the entry and what was expected.
std::vector<SweepVariant> parseSweepTypes(const std::string& list);

struct SweepOptions {
    std::string modelPath, tokenizerPath;
    std::vector<SweepVariant> variants;
    std::string textPath;            // perplexity / KLD text
    std::string tasksPath;           // multiple-choice tasks (optional)
    std::string calibrationPath;     // for imatrix / gptq / awq variants
    std::string reference = "SOURCE";// "SOURCE" (the model as given) or "F16" (quantized to F16 here)
    std::string outDir;
    int ctx = 512, chunks = -1;
    RunOptions run;                  // device, threads, KV cache (contextLength is set per stage)
    int benchPp = 128, benchTg = 32, benchRepetitions = 2;
    int group = 32;                  // gptq / awq group size
    bool actOrder = false;
    int quantizeThreads = 0;
    uint64_t referenceCacheBytes = uint64_t(1) << 30; // keep the reference's logits in memory up to this size
};

// What a caller (the GUI's worker, the CLI) sees as the sweep goes, on the
// sweep's thread: the results so far once the reference is measured, each
// variant as it starts (its index into options.variants), each entry as saved.
struct SweepEvents {
    std::function<void(const nlohmann::json& results)> referenceMeasured;
    std::function<void(int index)> variantStarted;
    std::function<void(const nlohmann::json& entry)> variantFinished;
};

// Runs the sweep. Throws qb::Error(Cancelled) after saving the finished
// variants when cancelled.
nlohmann::json runSweep(const SweepOptions& options, Job& job, const SweepEvents& events);
nlohmann::json runSweep(const SweepOptions& options, Job& job = noJob(),
                        const std::function<void(const nlohmann::json&)>& onVariant = {});

} // namespace qb
