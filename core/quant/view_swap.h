#pragma once
// A weight view of a working copy of a Model pointed at other rows — the same
// shape, stored in `type` — for the life of the object, then restored. The
// sensitivity probes (a tensor quantized alone), AWQ's candidates (a group
// as Q(W·s)/s in F32) and GPTQ's quantized layer run the CPU forward pass on
// swapped weights this way.
#include "model/weights.h"

namespace qb {

class ViewSwap {
public:
    ViewSwap(Tensor& view, GgmlType type, const void* data) : m_view(view), m_saved(view) {
        view.type = type;
        view.data = static_cast<const uint8_t*>(data);
        view.bytes = size_t(view.rows()) * rowBytes(type, view.cols());
        view.rowScale = nullptr;   // the new rows carry their own scales
        view.inputScale = nullptr;
    }
    ~ViewSwap() { m_view = m_saved; }
    ViewSwap(const ViewSwap&) = delete;
    ViewSwap& operator=(const ViewSwap&) = delete;

private:
    Tensor& m_view;
    Tensor m_saved;
};

// Whether `view`'s rows lie inside `whole`'s bytes (a fused q|k|v holds three views).
inline bool holdsView(const Tensor& whole, const Tensor& view) {
    return whole.present() && view.data >= whole.data && view.data < whole.data + whole.bytes;
}
// The first row of `view` inside `whole`, which holds it.
inline int64_t firstRowOf(const Tensor& whole, const Tensor& view) { return int64_t(view.data - whole.data) / int64_t(whole.rowStride()); }

} // namespace qb
