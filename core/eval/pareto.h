#pragma once
// The Pareto frontier of (size, loss) points, both to be minimised: the
// points no other point beats on both. The Compare chart draws it.
#include <cstddef>
#include <vector>

namespace qb {

struct SizeLoss {
    double size = 0; // bytes
    double loss = 0; // lower is better (KLD, PPL, or -accuracy)
};

// Indices into `points`, by increasing size. Ties on size keep the lower
// loss; a point equal to another on both counts once (the first).
std::vector<size_t> paretoFrontier(const std::vector<SizeLoss>& points);

} // namespace qb
