#pragma once
// A decoder layer's weight matrices by role, and the input each reads, for
// the methods that work layer by layer (AWQ, GPTQ); and the file tensor that
// holds a weight view (a fused q|k|v or gate|up holds several).
#include "common/error.h"
#include "model/model.h"
#include "quant/view_swap.h"

namespace qb {

enum LayerMat { Q, K, V, O, Gate, Up, Down, MatCount };
enum LayerInput { AttnIn, OIn, FfnIn, DownIn, InputCount };

inline Tensor& slot(LayerWeights& L, int m) {
    Tensor* all[MatCount] = {&L.wq, &L.wk, &L.wv, &L.wo, &L.wGate, &L.wUp, &L.wDown};
    return *all[m];
}
inline const Tensor& slot(const LayerWeights& L, int m) { return slot(const_cast<LayerWeights&>(L), m); }
inline LayerInput inputOf(int m) { return m <= V ? AttnIn : m == O ? OIn : m == Down ? DownIn : FfnIn; }
// The matrix whose matmul shows the input to an observer first (the others read the same rows).
inline int firstReaderOf(int input) { return input == AttnIn ? Q : input == OIn ? O : input == FfnIn ? Gate : Down; }

// The model file's tensor whose bytes hold `view`.
inline const Tensor& sourceTensorOf(const Model& model, const Tensor& view) {
    for (const Tensor& t : model.tensors)
        if (holdsView(t, view)) return t;
    throw Error(model.path + ": tensor '" + view.name + "' is not among the file's tensors");
}

} // namespace qb
