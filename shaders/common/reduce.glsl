// Sums the CPU reference takes in double (RMSNorm's squares, softmax's
// denominator, as ggml) are taken in REDUCE_T: double, or float on devices
// without shaderFloat64 (variants compiled with NO_FLOAT64).
#ifdef NO_FLOAT64
#define REDUCE_T float
#else
#define REDUCE_T double
#endif

// 1 / sqrt(mean(x^2) + eps) over LOAD(0) .. LOAD(n - 1), in the reference's order, into OUT.
#define RMS_SCALE(OUT, LOAD, n, eps) \
    { \
        precise REDUCE_T rmsSum_ = 0.0; \
        for (uint rmsI_ = 0u; rmsI_ < (n); ++rmsI_) { \
            REDUCE_T rmsV_ = REDUCE_T(LOAD(rmsI_)); \
            rmsSum_ += rmsV_ * rmsV_; \
        } \
        OUT = 1.0 / sqrt(float(rmsSum_ / REDUCE_T(n)) + (eps)); \
    }
