#pragma once
// Data for the Vulkan kernel tests: seeded random values, device buffers
// filled from the host or poisoned with NaN (so an unwritten element shows),
// and reading them back.
#include "vk/buffer.h"

#include <memory>
#include <vector>

namespace qbtest {

std::vector<float> randomValues(size_t n, unsigned seed, float scale = 1.0f); // normal, mean 0, sd `scale`

// A device-local buffer holding `bytes` of `data` (at least 16 bytes long, the smallest binding).
std::unique_ptr<qb::vk::Buffer> bufferWith(qb::vk::Context& ctx, const void* data, size_t bytes, const char* name);

// A device-local buffer of `words` 32-bit NaNs.
std::unique_ptr<qb::vk::Buffer> poisoned(qb::vk::Context& ctx, size_t words, const char* name);

template <typename T = float> std::vector<T> read(const qb::vk::Buffer& b, size_t n) {
    std::vector<T> v(n);
    b.download(v.data(), n * sizeof(T));
    return v;
}

} // namespace qbtest
