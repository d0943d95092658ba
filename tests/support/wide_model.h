#pragma once
// stories260K with every row 256 wide, so the K-quants (256-value blocks) apply
// to every matrix of a real trained model: the hidden size and FFN padded with
// zeros to 256, each head's 8 dimensions padded to 32. Exactly the same
// function: norm gains halved and epsilon quartered (the RMS over 256 values
// of which 64 are non-zero is half the RMS over the 64), queries doubled (the
// score scale is 1/sqrt(32) instead of 1/sqrt(8)), and rope_freqs divisors
// that give the 32-wide head's first 4 pairs the 8-wide head's frequencies.
// Only the float rounding differs. The padding is zero, so what a quantizer
// sees per row is the real 64 / 172 values plus exact zeros.
#include <string>

namespace qbtest {

// Writes it (F32) to `path` from ../shared/models/stories260K.gguf.
void writeWideStories(const std::string& path);

} // namespace qbtest
