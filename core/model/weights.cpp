#include "model/weights.h"

namespace qb {

std::vector<float> dequantizeTensor(const Tensor& t) {
    std::vector<float> v(static_cast<size_t>(t.elements()));
    for (int64_t r = 0; r < t.rows(); ++r) dequantizeRow(t.type, t.row(r), v.data() + r * t.cols(), t.cols());
    return v;
}

} // namespace qb
