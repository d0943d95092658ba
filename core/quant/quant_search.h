#pragma once
// The scale searches llama.cpp's quantizers share (ggml-quants.c), kept with
// the same arithmetic in the same order so results are bit-identical:
//  - nearestInt: round-to-nearest via the 1.5*2^23 trick (ties to even)
//  - makeQxQuants: symmetric levels [-nmax, nmax-1], weighted RMSE scale search
//  - makeQ3Quants: symmetric, iterative refinement (Q3_K without imatrix)
//  - makeQkx2Quants / makeQkx3Quants: asymmetric (scale, min) search
//  - makeQpQuants: positive levels for the super-block scales (imatrix path)
//  - signedMaxMagnitude: the value of largest magnitude, sign kept (first one on ties)
#include <cstdint>
#include <cstring>

namespace qb::quant {

inline int nearestInt(float fval) { // inline: the searches call it for every value of every trial scale
    float val = fval + 12582912.f;
    int i;
    std::memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}
float signedMaxMagnitude(const float* x, int n, float& amax); // amax = its magnitude
float makeQxQuants(int n, int nmax, const float* x, int8_t* L, int rmseType, const float* weights);
float makeQ3Quants(int n, int nmax, const float* x, int8_t* L, bool doRmse);
float makeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, uint8_t* Laux,
                     float rmin, float rdelta, int nstep, bool useMad);
// makeQkx2Quants (squared error) on the 8 sub-blocks of 32 values of a Q4_K /
// Q5_K super-block at once (x, weights, L: 256 values, sub-block j at 32*j):
// each sub-block's arithmetic exactly as alone, the 8 as the lanes of one
// vector in the trials. Writes theMin[8] and scale[8].
void makeQkx2Quants8x32(int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, float* scale, float rmin, float rdelta,
                        int nstep);
float makeQkx3Quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* theMin, uint8_t* Laux,
                     float rmin, float rdelta, int nstep, bool useMad);
float makeQpQuants(int n, int nmax, const float* x, uint8_t* L, const float* weights);

constexpr float kGroupMaxEps = 1e-15f;

} // namespace qb::quant
