#include "vk/repack.h"

#include "quant/quant_blocks.h"
#include "model/block_dot.h"
#include "model/kquant_dot.h"

#include <cstring>

namespace qb::vk {

bool repackable(GgmlType t) { return hasIntegerDot(t) || hasKQuantDot(t); }

uint64_t blockAuxSlots(int64_t rows, int64_t cols) { return uint64_t(rows) * uint64_t((cols / 32 + 3) / 4); }

int kQuantSlots(GgmlType t) {
    switch (t) {
    case GgmlType::Q2_K: return 5;
    case GgmlType::Q3_K: return 7;
    case GgmlType::Q4_K: return 9;
    case GgmlType::Q5_K: return 11;
    case GgmlType::Q6_K: return 13;
    default: return 0;
    }
}

namespace {

// One K-quant super-block into its slots (kQuantSlots) and (d, dmin).
void repackKBlock(GgmlType t, const uint8_t* src, uint8_t* dst, float* dm) {
    KBlockInts k;
    unpackKBlock(t, src, k);
    dm[0] = k.d;
    dm[1] = k.dmin;
    auto put = [&](size_t at, const void* from, size_t n) { std::memcpy(dst + at, from, n); };
    switch (t) {
    case GgmlType::Q2_K: put(0, src + 16, 64); put(64, src, 16); break;
    case GgmlType::Q3_K: put(0, src + 32, 64); put(64, src, 32); put(96, k.scale, 16); break;
    case GgmlType::Q4_K: put(0, src + 16, 128); put(128, k.scale, 8); put(136, k.min, 8); break;
    case GgmlType::Q5_K: put(0, src + 48, 128); put(128, src + 16, 32); put(160, k.scale, 8); put(168, k.min, 8); break;
    case GgmlType::Q6_K: put(0, src, 192); put(192, k.scale, 16); break;
    default: break;
    }
}

RepackedBlocks repackKBlocks(GgmlType t, int64_t cols, const std::vector<std::pair<const uint8_t*, uint64_t>>& parts) {
    const uint64_t blockBytes = uint64_t(traits(t).blockBytes), slotBytes = uint64_t(kQuantSlots(t)) * 16;
    uint64_t bytes = 0;
    for (const auto& part : parts) bytes += part.second;
    const uint64_t blocks = bytes / blockBytes, nb = uint64_t(cols / 256), rows = blocks / nb;
    RepackedBlocks out;
    out.quants.assign(size_t(blocks * slotBytes), 0);
    out.scales.assign(size_t(blocks * 2), 0.0f);
    uint64_t i = 0; // super-block index in file order: row-major (row, block)
    for (const auto& [data, size] : parts)
        for (uint64_t k = 0; k < size / blockBytes; ++k, ++i) {
            const uint64_t dst = (i % nb) * rows + i / nb;
            repackKBlock(t, data + k * blockBytes, &out.quants[size_t(dst * slotBytes)], &out.scales[size_t(dst * 2)]);
        }
    return out;
}

} // namespace

RepackedBlocks repackBlocks(GgmlType t, int64_t cols, const std::vector<std::pair<const uint8_t*, uint64_t>>& parts) {
    if (hasKQuantDot(t)) return repackKBlocks(t, cols, parts);
    const bool q8 = t == GgmlType::Q8_0, hasMin = t == GgmlType::Q4_1 || t == GgmlType::Q5_1;
    const bool hasHigh = t == GgmlType::Q5_0 || t == GgmlType::Q5_1;
    const int blockBytes = traits(t).blockBytes, quantBytes = q8 ? 32 : 16, slot = quantBytes;
    const int qhAt = hasMin ? 4 : 2, qsAt = 2 + (hasMin ? 2 : 0) + (hasHigh ? 4 : 0); // ggml's block layouts
    uint64_t bytes = 0;
    for (const auto& part : parts) bytes += part.second;
    const uint64_t blocks = bytes / uint64_t(blockBytes), nb = uint64_t(cols / 32), rows = blocks / nb;
    const uint64_t aux = blockAuxSlots(int64_t(rows), cols); // slots of 4 blocks' scales (mins, fifth bits)
    RepackedBlocks out;
    out.quants.assign(size_t(blocks) * size_t(slot) + (hasHigh ? size_t(aux) * 16 : 0), 0);
    out.scales.assign(size_t(aux * 4) * (hasMin ? 2 : 1), 0.0f);
    uint64_t i = 0; // block index in file order: row-major (row, block)
    for (const auto& [data, size] : parts)
        for (uint64_t k = 0; k < size / uint64_t(blockBytes); ++k, ++i) {
            const uint8_t* src = data + k * uint64_t(blockBytes);
            const uint64_t row = i / nb, b = i % nb, dst = b * rows + row, at = ((b / 4) * rows + row) * 4 + b % 4;
            out.scales[size_t(at)] = quant::getHalf(src);
            if (hasMin) out.scales[size_t(aux * 4 + at)] = quant::getHalf(src + 2);
            if (hasHigh) std::memcpy(&out.quants[size_t(blocks * uint64_t(slot) + at * 4)], src + qhAt, 4);
            std::memcpy(&out.quants[size_t(dst) * size_t(slot)], src + qsAt, size_t(quantBytes));
        }
    return out;
}

} // namespace qb::vk
