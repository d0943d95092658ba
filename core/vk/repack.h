#pragma once
// The 32-value block types as the integer-dot kernels (shaders/matmul_q.comp)
// read them: each block's quants in 16-byte slots (one for Q4_0, Q4_1, Q5_0,
// Q5_1: the 16 bytes of nibbles; two for Q8_0), ordered [block][row] so that
// neighbouring invocations, which compute neighbouring rows, read
// neighbouring memory; the F16 scales as F32 (exact), four consecutive blocks
// of a row in one 16-byte slot, ordered [block / 4][row][block % 4]
// (zero-padded), one fetch for four blocks. Q4_1 / Q5_1 add their mins in the
// same layout after the scales; Q5_0 / Q5_1 their fifth bits (the 32-bit qh of
// each block), again in that layout, after the quants (blockAuxSlots).
// K-quants (shaders/matmul_k.comp) likewise [super-block][row], each
// super-block's quants in 16-byte slots with its sub-block scales decoded to
// bytes (kSlots below), and (d, dmin) as F32 pairs in `scales`, [super-block][row].
#include "quant/ggml_type.h"

#include <cstdint>
#include <vector>

namespace qb::vk {

struct RepackedBlocks {
    std::vector<uint8_t> quants;
    std::vector<float> scales;
};

bool repackable(GgmlType t); // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants
// 16-byte slots of [block / 4][row] data (scales, mins, fifth bits) for a matrix of
// `rows` x `cols` of a 32-value block type: where the mins and the fifth bits start.
uint64_t blockAuxSlots(int64_t rows, int64_t cols);
// 16-byte slots a repacked K-quant super-block takes:
//   Q2_K 5: qs[64] | scales[16] (scale | min << 4, as stored)
//   Q3_K 7: qs[64] | hmask[32] | scales[16] (int8, -32 .. 31)
//   Q4_K 9: qs[128] | scales[8] | mins[8]
//   Q5_K 11: qs[128] | qh[32] | scales[8] | mins[8]
//   Q6_K 13: ql[128] | qh[64] | scales[16] (int8)
int kQuantSlots(GgmlType t);

// `parts` are row-major tensors of type t with `cols` columns, stacked by rows.
RepackedBlocks repackBlocks(GgmlType t, int64_t cols, const std::vector<std::pair<const uint8_t*, uint64_t>>& parts);

} // namespace qb::vk
