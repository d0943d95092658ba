#include "model/weights.h"

namespace qb {

std::vector<float> dequantizeTensor(const Tensor& t) {
    std::vector<float> v(static_cast<size_t>(t.elements()));
    for (int64_t r = 0; r < t.rows(); ++r) t.dequantizeRowTo(r, v.data() + r * t.cols());
    return v;
}

} // namespace qb
