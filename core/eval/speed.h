#pragma once
// Prefill and decode speed, as llama-bench measures them: a random prompt of
// `pp` tokens from an empty cache, then `tg` single-token decode steps; each
// repeated `repetitions` times after one warm-up (pipelines compiled, buffers
// sized). Time to first token = the prefill of `pp` tokens up to the last
// token's logits.
#include "model/forward.h"
#include "run/job.h"

namespace qb {

struct SpeedResult {
    int pp = 0, tg = 0, repetitions = 0;
    double ppTokensPerSecond = 0, ppStddev = 0;
    double tgTokensPerSecond = 0, tgStddev = 0;
    double ttftSeconds = 0; // mean prefill time of pp tokens
};

// Progress: stage "speed", unit "runs"; cancel between runs.
SpeedResult measureSpeed(ForwardPass& forward, int vocabSize, int pp, int tg, int repetitions, Job& job = noJob());

} // namespace qb
