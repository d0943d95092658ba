#include "support/vk_data.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace qbtest {

std::vector<float> randomValues(size_t n, unsigned seed, float scale) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::unique_ptr<qb::vk::Buffer> bufferWith(qb::vk::Context& ctx, const void* data, size_t bytes, const char* name) {
    auto b = std::make_unique<qb::vk::Buffer>(ctx, std::max<size_t>(bytes, 16), qb::vk::Placement::DeviceLocal, name);
    b->upload(data, bytes);
    return b;
}

std::unique_ptr<qb::vk::Buffer> poisoned(qb::vk::Context& ctx, size_t words, const char* name) {
    std::vector<float> nan(words, std::nanf(""));
    return bufferWith(ctx, nan.data(), words * 4, name);
}

} // namespace qbtest
