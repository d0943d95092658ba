#pragma once
// Picks a variant from a sweep's measured numbers (results.json), by use case:
//  - chat (also summarization): the smallest file whose perplexity is within
//    the budget (default +2 %) of the reference;
//  - code, reasoning: a tighter budget (+1 %, mean KLD <= 0.01 for code,
//    0.005 for reasoning) and never below 8 bits a weight unless the KLD says
//    it is safe (mean within the budget and the 99th percentile within 10x it);
//  - long-context: counts the KV cache at the requested context (default the
//    model's) with the weights; the smallest total within the chat budget and
//    --max-bytes;
//  - edge: the smallest file within --max-bytes and a loose budget (+10 %).
// Every rejection and the choice are explained with the numbers used.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qb {

struct RecommendOptions {
    std::string useCase = "chat";
    std::optional<double> maxPplIncrease; // fraction (0.02 = 2 %); default by use case
    std::optional<double> maxKld;         // mean KLD; default by use case
    std::optional<uint64_t> maxBytes;     // file bytes, or memory at ctx for long-context
    int ctx = 0;                          // long-context: 0 = the model's trained context
};

struct Candidate {
    std::string name;
    bool accepted = false;
    std::string reason; // why rejected (empty when accepted)
    double pplIncrease = 0, kldMean = 0, kldP99 = 0, bpw = 0;
    uint64_t bytes = 0, memoryBytes = 0;
};

struct Recommendation {
    std::string useCase;
    std::optional<std::string> choice;
    std::string explanation;
    std::vector<Candidate> candidates;
};

const std::vector<std::string>& useCases();
// "2%" or "0.02" -> 0.02; "4G", "512MiB", "1000000" -> bytes. Throw naming the option.
double parseFraction(const std::string& text, const std::string& option);
uint64_t parseBytes(const std::string& text, const std::string& option);

// `results` as loadResults returns it (validated).
Recommendation recommend(const nlohmann::json& results, const RecommendOptions& options);
nlohmann::json toJson(const Recommendation& r);

} // namespace qb
