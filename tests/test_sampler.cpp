// Sampling: greedy at temperature 0, determinism per seed, each filter's effect.
#include "model/sampler.h"

#include <QtTest>
#include <cmath>
#include <map>
#include <random>

using namespace qb;

namespace {
std::vector<float> randomLogits(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0, 2);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = d(rng);
    return v;
}
} // namespace

class TestSampler : public QObject {
    Q_OBJECT
private slots:
    void temperatureZeroIsArgmax() {
        const auto l = randomLogits(100, 1);
        SamplerParams p;
        p.temperature = 0;
        Sampler s(p);
        QCOMPARE(s.sample(l.data(), 100, {}), argmax(l.data(), 100));
    }
    void sameSeedSameTokens() {
        const auto l = randomLogits(100, 2);
        SamplerParams p;
        p.temperature = 1.0f;
        p.seed = 1234;
        Sampler a(p), b(p);
        std::vector<int> x, y;
        for (int i = 0; i < 50; ++i) { x.push_back(a.sample(l.data(), 100, {})); y.push_back(b.sample(l.data(), 100, {})); }
        QCOMPARE(x, y);
        p.seed = 99;
        Sampler c(p);
        std::vector<int> z;
        for (int i = 0; i < 50; ++i) z.push_back(c.sample(l.data(), 100, {}));
        QVERIFY(z != x);
    }
    void topKOneIsGreedy() {
        const auto l = randomLogits(100, 3);
        SamplerParams p;
        p.temperature = 5.0f;
        p.topK = 1;
        Sampler s(p);
        for (int i = 0; i < 20; ++i) QCOMPARE(s.sample(l.data(), 100, {}), argmax(l.data(), 100));
    }
    // The cut tail holds 10 % of the mass, so a sampler without the filter is
    // caught (the control below samples it unfiltered and sees the tail).
    void topPAndMinPKeepOnlyLikelyTokens() {
        std::vector<float> l;
        for (double prob : {0.5, 0.3, 0.1, 0.06, 0.04}) l.push_back(float(std::log(prob)));
        const auto draw = [&](SamplerParams p, int n) {
            Sampler s(p);
            std::map<int, int> seen;
            for (int i = 0; i < n; ++i) seen[s.sample(l.data(), 5, {})]++;
            return seen;
        };
        SamplerParams p;
        p.temperature = 1.0f;
        p.topK = 0;
        p.topP = 1.0f;
        p.minP = 0;
        p.seed = 7;
        const auto all = draw(p, 2000); // control: unfiltered, the tail shows up (~200 of 2000)
        QVERIFY(all.count(3) + all.count(4) == 2 && all.at(3) + all.at(4) > 100);
        p.topP = 0.85f; // 0.5 + 0.3 < 0.85 <= 0.5 + 0.3 + 0.1: the three likeliest stay
        const auto top = draw(p, 2000);
        QCOMPARE(int(top.size()), 3);
        QVERIFY(top.count(0) && top.count(1) && top.count(2));
        QVERIFY(top.at(2) > 100 && top.at(2) < 350); // renormalised: 0.1 / 0.9 of the draws
        p.topP = 1.0f;
        p.minP = 0.5f; // keeps p >= 0.5 * 0.5: tokens 0 (0.5) and 1 (0.3), not 2 (0.1)
        const auto minp = draw(p, 1000);
        QCOMPARE(int(minp.size()), 2);
        QVERIFY(minp.count(0) && minp.count(1));
    }
    void repetitionPenaltyDemotesSeenTokens() {
        std::vector<float> l{2.0f, 1.9f, 0.0f};
        SamplerParams p;
        p.temperature = 0;
        p.repeatPenalty = 1.5f;
        Sampler s(p);
        QCOMPARE(s.sample(l.data(), 3, {0}), 1); // 2.0/1.5 < 1.9
        QCOMPARE(s.sample(l.data(), 3, {}), 0);
    }
};

QTEST_APPLESS_MAIN(TestSampler)
#include "test_sampler.moc"
