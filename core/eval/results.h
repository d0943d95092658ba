#pragma once
// The JSON form of every measurement (one spelling of each key, used by the
// CLI's --json, the sweep's results.json and the GUI), and reading and
// validating a results.json (schema: docs/RESULTS.md, versioned).
#include "eval/kld.h"
#include "eval/multiple_choice.h"
#include "eval/speed.h"
#include "model/forward.h"
#include "quant/quantizer.h"

#include <nlohmann/json.hpp>
#include <string>

namespace qb {

constexpr int kResultsSchemaVersion = 1;

nlohmann::json toJson(const KldResult& r);
nlohmann::json toJson(const McResult& r);
nlohmann::json toJson(const SpeedResult& r);
nlohmann::json toJson(const MemoryUse& m);
nlohmann::json toJson(const QuantizeReport& r);           // the quantizer's report with its per-tensor errors
nlohmann::json toJson(const MixReport& m);                // a mix's sensitivity table, choice, predicted and measured KLD
nlohmann::json toJson(const AwqReport& a);                // AWQ's chosen scales and clipping, with their held-out errors
nlohmann::json tensorsJson(const QuantizeReport& r);      // just the per-tensor list

// Reads DIR/results.json and checks it against the schema; throws naming
// the file, the key (as a JSON pointer) and what was expected.
nlohmann::json loadResults(const std::string& path);
void validateResults(const nlohmann::json& results, const std::string& path);
// Writes `<path>.part` and renames it into place.
void saveResults(const std::string& path, const nlohmann::json& results);

// "2026-11-29T17:40:00Z"
std::string utcTimestamp();
std::string toolVersion();

} // namespace qb
