#include "eval/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace qb {

std::vector<size_t> paretoFrontier(const std::vector<SizeLoss>& points) {
    std::vector<size_t> order(points.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (points[a].size != points[b].size) return points[a].size < points[b].size;
        return points[a].loss < points[b].loss;
    });
    std::vector<size_t> frontier;
    double best = std::numeric_limits<double>::infinity();
    for (size_t i : order)
        if (points[i].loss < best) { // strictly better than every smaller point
            frontier.push_back(i);
            best = points[i].loss;
        }
    return frontier;
}

} // namespace qb
