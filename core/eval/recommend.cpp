#include "eval/recommend.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qb {

namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// enough digits that two sizes a budget separates never print the same
std::string megabytes(uint64_t b) { return fmt(b < 10'000'000 ? "%.3f MB" : b < 10'000'000'000 ? "%.2f MB" : "%.1f MB", double(b) / 1e6); }

struct Budget {
    double pplIncrease;
    std::optional<double> kld;
    bool guardLowBits; // code / reasoning: below 8 bpw only when the KLD says it is safe
    bool memoryAtContext;
};

Budget budgetFor(const RecommendOptions& o) {
    Budget b{0.02, o.maxKld, false, false};
    if (o.useCase == "code" || o.useCase == "reasoning") {
        b.pplIncrease = 0.01;
        if (!b.kld) b.kld = o.useCase == "code" ? 0.01 : 0.005;
        b.guardLowBits = true;
    }
    if (o.useCase == "long-context") b.memoryAtContext = true;
    if (o.useCase == "edge") b.pplIncrease = 0.10;
    if (o.maxPplIncrease) b.pplIncrease = *o.maxPplIncrease;
    return b;
}

} // namespace

const std::vector<std::string>& useCases() {
    static const std::vector<std::string> names{"chat", "summarization", "code", "reasoning", "long-context", "edge"};
    return names;
}

namespace {

// The leading number of `text`; `used` = 0 when there is none.
double leadingNumber(const std::string& text, size_t& used) {
    used = 0;
    try {
        return std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
        return 0;
    }
}

} // namespace

double parseFraction(const std::string& text, const std::string& option) {
    std::string t = text;
    const bool percent = !t.empty() && t.back() == '%';
    if (percent) t.pop_back();
    size_t used = 0;
    const double v = leadingNumber(t, used);
    if (used == 0 || used != t.size() || !std::isfinite(v) || v < 0)
        throw Error("option '" + option + "': '" + text + "', expected a non-negative number or percentage (2% or 0.02)");
    return percent ? v / 100 : v;
}

uint64_t parseBytes(const std::string& text, const std::string& option) {
    size_t used = 0;
    const double v = leadingNumber(text, used);
    std::string unit = text.substr(used);
    for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
    double mult = 0;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "K" || unit == "KB") mult = 1e3;
    else if (unit == "M" || unit == "MB") mult = 1e6;
    else if (unit == "G" || unit == "GB") mult = 1e9;
    else if (unit == "KIB") mult = 1024.0;
    else if (unit == "MIB") mult = 1024.0 * 1024;
    else if (unit == "GIB") mult = 1024.0 * 1024 * 1024;
    if (used == 0 || mult == 0 || !std::isfinite(v) || v <= 0)
        throw Error("option '" + option + "': '" + text + "', expected a size such as 4GB, 512MiB or 1000000");
    return uint64_t(v * mult);
}

Recommendation recommend(const nlohmann::json& results, const RecommendOptions& o) {
    if (std::find(useCases().begin(), useCases().end(), o.useCase) == useCases().end())
        throw Error("option '--use-case': '" + o.useCase + "', expected chat, summarization, code, reasoning, long-context or edge");
    if (o.useCase == "edge" && !o.maxBytes) throw Error("recommend: --use-case edge needs --max-bytes N (the device's budget)");
    const Budget b = budgetFor(o);
    Recommendation r;
    r.useCase = o.useCase;
    const double refPpl = results.contains("reference_metrics") ? results["reference_metrics"].value("ppl", 0.0) : 0.0;
    const int ctx = o.ctx > 0 ? o.ctx : results["model"].value("context_length", 0);
    for (const auto& v : results["variants"]) {
        Candidate c;
        c.name = v["name"].get<std::string>();
        if (v["status"] != "ok") {
            c.reason = "failed in the sweep: " + v.value("error", std::string("no reason recorded"));
            r.candidates.push_back(c);
            continue;
        }
        const double base = refPpl > 0 ? refPpl : v.value("ppl_base", 0.0);
        c.pplIncrease = base > 0 ? v["ppl"].get<double>() / base - 1 : 0;
        c.kldMean = v["kld_mean"].get<double>();
        c.kldP99 = v["kld_p99"].get<double>();
        c.bpw = v["bpw"].get<double>();
        c.bytes = v["bytes"].get<uint64_t>();
        const nlohmann::json mem = v.value("memory", nlohmann::json::object());
        c.memoryBytes = mem.value("weights_bytes", c.bytes) + uint64_t(mem.value("kv_cache_bytes_per_token", 0.0) * ctx) + mem.value("scratch_bytes", uint64_t(0));
        const uint64_t size = b.memoryAtContext ? c.memoryBytes : c.bytes;
        if (c.pplIncrease > b.pplIncrease)
            c.reason = "perplexity +" + fmt("%.2f", 100 * c.pplIncrease) + "% over the budget of +" + fmt("%.2f", 100 * b.pplIncrease) + "%";
        else if (b.kld && c.kldMean > *b.kld)
            c.reason = "mean KLD " + fmt("%.6f", c.kldMean) + " over the budget of " + fmt("%.6f", *b.kld);
        else if (b.guardLowBits && c.bpw < 8 && (!b.kld || c.kldP99 > 10 * *b.kld))
            c.reason = fmt("%.2f", c.bpw) + " bits a weight and a KLD tail (p99 " + fmt("%.4f", c.kldP99) + ") too heavy to trust below 8 bits";
        else if (o.maxBytes && size > *o.maxBytes)
            c.reason = (b.memoryAtContext ? "needs " + megabytes(size) + " at context " + std::to_string(ctx) : megabytes(size)) + ", over the budget of " +
                       megabytes(*o.maxBytes);
        c.accepted = c.reason.empty();
        r.candidates.push_back(c);
    }
    const Candidate* best = nullptr;
    for (const Candidate& c : r.candidates) {
        if (!c.accepted) continue;
        const uint64_t size = b.memoryAtContext ? c.memoryBytes : c.bytes;
        const uint64_t bestSize = best ? (b.memoryAtContext ? best->memoryBytes : best->bytes) : 0;
        if (!best || size < bestSize || (size == bestSize && c.kldMean < best->kldMean)) best = &c;
    }
    std::string budgetText = "perplexity within +" + fmt("%.2f", 100 * b.pplIncrease) + "% of the reference (" + fmt("%.4f", refPpl) + ")";
    if (b.kld) budgetText += ", mean KLD at most " + fmt("%.4f", *b.kld);
    if (o.maxBytes) budgetText += std::string(", ") + (b.memoryAtContext ? "memory" : "file size") + " at most " + megabytes(*o.maxBytes);
    if (!best) {
        r.explanation = "For " + o.useCase + ", no variant meets the budget (" + budgetText + "). ";
        const Candidate* closest = nullptr;
        for (const Candidate& c : r.candidates)
            if (c.bytes && (!closest || c.kldMean < closest->kldMean)) closest = &c;
        if (closest) r.explanation += "The closest is " + closest->name + " (" + closest->reason + "); relax the budget or add a larger type to the sweep.";
        return r;
    }
    r.choice = best->name;
    r.explanation = "For " + o.useCase + ", " + best->name + " is the smallest variant within the budget (" + budgetText + "): " +
                    megabytes(best->bytes) + " (" + fmt("%.2f", best->bpw) + " bits a weight)";
    if (b.memoryAtContext) r.explanation += ", " + megabytes(best->memoryBytes) + " with the KV cache at context " + std::to_string(ctx);
    r.explanation += ", perplexity +" + fmt("%.2f", 100 * best->pplIncrease) + "%, mean KLD " + fmt("%.6f", best->kldMean) + " (p99 " +
                     fmt("%.4f", best->kldP99) + ").";
    std::string rejected;
    for (const Candidate& c : r.candidates)
        if (!c.accepted) rejected += (rejected.empty() ? "" : "; ") + c.name + ": " + c.reason;
    if (!rejected.empty()) r.explanation += " Not chosen: " + rejected + ".";
    return r;
}

nlohmann::json toJson(const Recommendation& r) {
    nlohmann::json j{{"use_case", r.useCase}, {"choice", r.choice ? nlohmann::json(*r.choice) : nlohmann::json(nullptr)}, {"explanation", r.explanation}};
    j["candidates"] = nlohmann::json::array();
    for (const Candidate& c : r.candidates)
        j["candidates"].push_back({{"name", c.name},
                                   {"accepted", c.accepted},
                                   {"reason", c.reason},
                                   {"ppl_increase_percent", 100 * c.pplIncrease},
                                   {"kld_mean", c.kldMean},
                                   {"kld_p99", c.kldP99},
                                   {"bpw", c.bpw},
                                   {"bytes", c.bytes},
                                   {"memory_bytes", c.memoryBytes}});
    return j;
}

} // namespace qb
