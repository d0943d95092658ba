// quantbench-cli synth: a random-weight model at real shapes (synthetic weights).
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/error.h"
#include "model/model.h"
#include "model/synth.h"

#include <cstdio>

namespace qbcli {

int cmdSynth(const Argv& argv) {
    Args args(argv, {}, {"--arch", "--dim", "--layers", "--heads", "--kv-heads", "--ffn", "--ctx", "--vocab-from", "--type", "--seed", "--preset"});
    if (args.positional().size() != 1) throw qb::Error("synth: expected one OUT.gguf path");
    qb::SynthSpec s;
    if (args.has("--preset")) {
        const auto p = qb::synthPreset(args.get("--preset"));
        if (!p) throw qb::Error("option '--preset': '" + args.get("--preset") + "', expected llama-110m, tinyllama-1.1b or llama-7b");
        s = *p;
    }
    s.arch = args.get("--arch", s.arch);
    s.dim = args.getInt("--dim", s.dim);
    s.layers = args.getInt("--layers", s.layers);
    s.heads = args.getInt("--heads", s.heads);
    s.kvHeads = args.getInt("--kv-heads", args.has("--heads") && !args.has("--kv-heads") ? s.heads : s.kvHeads);
    s.ffn = args.getInt("--ffn", s.ffn);
    s.context = args.getInt("--ctx", s.context);
    s.seed = args.getU64("--seed", s.seed);
    const auto type = qb::typeFromName(args.get("--type", "F16"));
    if (!type || qb::hasRowScale(*type)) throw qb::Error("option '--type': '" + args.get("--type") + "' is not a GGUF tensor type (F32, F16, Q8_0, ...)");
    s.type = *type;
    if (!args.has("--vocab-from")) throw qb::Error("synth: --vocab-from MODEL_OR_VOCAB.gguf is required (its tokenizer is copied)");
    qb::LoadOptions lo;
    lo.vocabOnly = true;
    const auto vocabModel = qb::loadModel(args.get("--vocab-from"), lo);
    const std::string out = args.positional()[0];
    Progress progress("synth");
    qb::writeSyntheticModel(s, vocabModel->vocab, out, [&](int done, int total) {
        progress.update(done, total, "tensors");
        return true;
    });
    progress.finish();
    std::printf("%s: synthetic weights, %s dim %d, %d layers, %d heads / %d KV heads, ffn %d, vocab %d, %s\n", out.c_str(), s.arch.c_str(),
                s.dim, s.layers, s.heads, s.kvHeads, s.ffn, vocabModel->vocab->size(), qb::typeName(s.type).c_str());
    return 0;
}

} // namespace qbcli
