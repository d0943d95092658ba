#include "support/test_eval.h"

#include "eval/perplexity.h"
#include "model/forward_cpu.h"
#include "model/tokenizer.h"
#include "support/test_paths.h"

namespace qbtest {

double valPerplexity(const qb::Model& m, int ctx, int chunks) {
    qb::Tokenizer tok(m.vocab);
    const auto tokens = tok.encode(readFile(sharedPath("text/tinystories_val.txt")), true, false);
    qb::ThreadPool pool(2);
    qb::CpuForwardOptions o;
    o.contextLength = ctx;
    qb::CpuForward fwd(m, pool, o);
    return qb::computePerplexity(tokens, m.vocab->bos, ctx, chunks, m.config.vocabSize,
                                 [&](const std::vector<int>& chunk, std::vector<float>& logits) {
                                     fwd.reset();
                                     fwd.forward(chunk.data(), int(chunk.size()), logits, true);
                                 })
        .ppl;
}

} // namespace qbtest
