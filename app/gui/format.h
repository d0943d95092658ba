#pragma once
// How the workbench writes numbers for people: sizes, durations, ETAs.
#include <QString>
#include <cstdint>

namespace gui {

QString bytesText(uint64_t bytes);        // "1.21 MB", "4.58 GB" (decimal units, as file managers)
QString durationText(double seconds);     // "0:42", "1:03:05"
QString etaText(double seconds);          // "ETA 0:42", "" when unknown
QString numberText(double v, int digits); // fixed digits, "–" for NaN

} // namespace gui
