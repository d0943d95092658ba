#pragma once
// How much each weight matters, measured: for every tensor a mix can choose a
// type for and every candidate type its rows allow, the KL-divergence from the
// source model's next-token distributions when only that tensor is quantized to
// that type and every other weight is kept as in the source. Run on the CPU
// reference over calibration tokens: one pass of the source, then one pass per
// (tensor, type). The mix planner (mix_plan.h) adds these up as its prediction
// of a whole mix. docs/MIXED_PRECISION.md explains the method and its cost.
#include "common/thread_pool.h"
#include "eval/perplexity.h"
#include "model/forward.h"
#include "model/model.h"
#include "quant/imatrix.h"
#include "run/job.h"

#include <string>
#include <vector>

namespace qb {

// The types a mix may use (llama.cpp loads each): F16, BF16, the 32-block
// types and the K-quants.
const std::vector<GgmlType>& mixableTypes();
bool mixCandidateType(GgmlType type);
// The default candidate list: every block type from Q2_K to Q8_0.
std::vector<GgmlType> defaultMixTypes();

// The source model's next-token distributions on the calibration chunks, kept
// to compare others with: KL(source || other), averaged over every position of
// every chunk (each chunk starts with BOS from an empty cache, like perplexity).
class DivergenceProbe {
public:
    // Runs `source` over `chunks` chunks of `ctx` tokens (perplexity's chunking).
    DivergenceProbe(ForwardPass& source, const std::vector<int>& tokens, int bos, int ctx, int chunks, int vocabSize, ThreadPool& pool);
    // Mean KL-divergence (nats per position) of `other` from the source.
    double measure(ForwardPass& other) const;
    int positions() const { return int(m_chunks.size()) * m_ctx; }
    int chunks() const { return int(m_chunks.size()); }
    int ctx() const { return m_ctx; }

private:
    std::vector<std::vector<int>> m_chunks;
    std::vector<std::vector<float>> m_logits;          // per chunk: ctx x vocab, the source's
    std::vector<std::vector<LogSoftmaxNorm>> m_norms;  // per chunk: ctx, their log-softmax norms
    int m_ctx = 0, m_vocab = 0;
    ThreadPool& m_pool;
};

struct SensitivityOptions {
    std::vector<GgmlType> types = defaultMixTypes(); // candidates; each tensor measures those its rows allow
    int ctx = 512;        // calibration chunk length in tokens
    int maxChunks = 0;    // 0 = every whole chunk of the text
    int threads = 0;
    const ImportanceMatrix* imatrix = nullptr; // the probes quantize with it, as the file will be
};

struct TypeCost {
    GgmlType type;
    uint64_t bytes = 0; // the tensor's data in this type
    double kld = 0;     // measured, this tensor alone in this type
};

struct TensorSensitivity {
    int index = 0;          // into model.tensors
    std::string name;
    int64_t parameters = 0;
    std::vector<TypeCost> options; // the candidate types its rows allow, in ascending size
};

struct SensitivityTable {
    std::vector<TensorSensitivity> tensors; // the tensors a mix chooses a type for, in file order
    int ctx = 0, chunks = 0, positions = 0; // positions per pass
    int forwardPasses = 0;                  // of ctx tokens each, the source's included
    double seconds = 0;
};

// Tensors that are quantizable (quant/recipe.h) but whose rows fit none of the
// candidates are left out of the table (the planner keeps them F16). Progress:
// stage "sensitivity", unit "probes"; cancel between probes. Throws when the
// text is shorter than one chunk.
SensitivityTable measureSensitivity(const Model& model, const std::vector<int>& tokens, const SensitivityOptions& options,
                                    Job& job = noJob());

} // namespace qb
