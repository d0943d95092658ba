#include "eval/speed.h"

#include "common/error.h"

#include <chrono>
#include <cmath>
#include <random>

namespace qb {

namespace {

void meanStddev(const std::vector<double>& v, double& mean, double& stddev) {
    mean = stddev = 0;
    if (v.empty()) return;
    for (double x : v) mean += x;
    mean /= double(v.size());
    for (double x : v) stddev += (x - mean) * (x - mean);
    stddev = v.size() > 1 ? std::sqrt(stddev / double(v.size() - 1)) : 0;
}

} // namespace

SpeedResult measureSpeed(ForwardPass& fwd, int vocabSize, int pp, int tg, int reps, Job& job) {
    if (pp < 0 || tg < 0 || pp + tg == 0 || reps < 1) throw Error("bench: expected pp >= 0, tg >= 0 (not both 0) and repetitions >= 1");
    if (std::max(pp, tg) > fwd.capacity())
        throw Error("bench: " + std::to_string(std::max(pp, tg)) + " tokens exceed the forward pass's context of " + std::to_string(fwd.capacity()));
    using Clock = std::chrono::steady_clock;
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> tok(0, vocabSize - 1);
    std::vector<int> prompt(size_t(std::max(pp, 1)));
    for (int& t : prompt) t = tok(rng);
    std::vector<float> logits;
    job.begin("speed", reps + 1, "runs");
    fwd.reset(); // warm-up: the prompt and a decode token, so no kernel or buffer is first made inside a timed run
    fwd.forward(prompt.data(), std::max(1, pp), logits, false);
    fwd.forward(prompt.data(), 1, logits, false);
    job.step(1);
    std::vector<double> ppRates, tgRates, prefill;
    for (int r = 0; r < reps; ++r) {
        if (pp > 0) {
            fwd.reset();
            const auto t0 = Clock::now();
            fwd.forward(prompt.data(), pp, logits, false);
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            prefill.push_back(s);
            ppRates.push_back(pp / s);
        }
        if (tg > 0) {
            fwd.reset();
            int next = prompt[0];
            const auto t0 = Clock::now();
            for (int i = 0; i < tg; ++i) {
                fwd.forward(&next, 1, logits, false);
                next = tok(rng);
                job.checkCancel(); // a long decode run stops within a token
            }
            tgRates.push_back(tg / std::chrono::duration<double>(Clock::now() - t0).count());
        }
        job.step(r + 2);
    }
    SpeedResult out;
    out.pp = pp;
    out.tg = tg;
    out.repetitions = reps;
    meanStddev(ppRates, out.ppTokensPerSecond, out.ppStddev);
    meanStddev(tgRates, out.tgTokensPerSecond, out.tgStddev);
    double sd = 0;
    meanStddev(prefill, out.ttftSeconds, sd);
    return out;
}

} // namespace qb
