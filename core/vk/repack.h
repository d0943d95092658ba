#pragma once
// Q4_0 / Q8_0 weights as the integer-dot kernels (shaders/matmul_q.comp) read
// them: each block's quants in 16-byte slots (one for Q4_0, two for Q8_0),
// ordered [block][row] so that neighbouring invocations, which compute
// neighbouring rows, read neighbouring memory; the F16 scales as F32 (exact),
// four consecutive blocks of a row in one 16-byte slot, ordered
// [block / 4][row][block % 4] (zero-padded), one fetch for four blocks.
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb::vk {

struct RepackedBlocks {
    std::vector<uint8_t> quants;
    std::vector<float> scales;
};

bool repackable(GgmlType t); // Q4_0, Q8_0

// `parts` are row-major tensors of type t with `cols` columns, stacked by rows.
RepackedBlocks repackBlocks(GgmlType t, int64_t cols, const std::vector<std::pair<const uint8_t*, uint64_t>>& parts);

} // namespace qb::vk
