#pragma once
// QB_KERNEL_CLONES before a hot function: GCC builds it twice, for AVX2 and
// for plain x86-64, and picks one when the program loads. AVX2 without FMA,
// so a multiply and an add stay two roundings: the same bits either way.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define QB_KERNEL_CLONES __attribute__((target_clones("avx2", "default")))
#define QB_ALWAYS_INLINE __attribute__((always_inline))
#else
#define QB_KERNEL_CLONES
#define QB_ALWAYS_INLINE
#endif
