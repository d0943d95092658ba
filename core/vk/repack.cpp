#include "vk/repack.h"

#include "common/half.h"

#include <cstring>

namespace qb::vk {

bool repackable(GgmlType t) { return t == GgmlType::Q4_0 || t == GgmlType::Q8_0; }

RepackedBlocks repackBlocks(GgmlType t, int64_t cols, const std::vector<std::pair<const uint8_t*, uint64_t>>& parts) {
    const int blockBytes = traits(t).blockBytes, quantBytes = blockBytes - 2, slot = t == GgmlType::Q4_0 ? 16 : 32;
    uint64_t bytes = 0;
    for (const auto& part : parts) bytes += part.second;
    const uint64_t blocks = bytes / uint64_t(blockBytes), nb = uint64_t(cols / 32), rows = blocks / nb;
    RepackedBlocks out;
    out.quants.assign(size_t(blocks) * size_t(slot), 0);
    const uint64_t nb4 = (nb + 3) / 4; // scales of 4 consecutive blocks of a row share one 16-byte slot
    out.scales.assign(size_t(nb4 * rows * 4), 0.0f);
    uint64_t i = 0; // block index in file order: row-major (row, block)
    for (const auto& [data, size] : parts)
        for (uint64_t k = 0; k < size / uint64_t(blockBytes); ++k, ++i) {
            const uint8_t* src = data + k * uint64_t(blockBytes);
            const uint64_t row = i / nb, b = i % nb, dst = b * rows + row;
            uint16_t h;
            std::memcpy(&h, src, 2);
            out.scales[size_t(((b / 4) * rows + row) * 4 + b % 4)] = halfToFloat(h);
            std::memcpy(&out.quants[size_t(dst) * size_t(slot)], src + 2, size_t(quantBytes));
        }
    return out;
}

} // namespace qb::vk
