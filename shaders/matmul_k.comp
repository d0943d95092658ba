#version 450
// K-quant weights (Q2_K .. Q6_K, repacked by vk/repack.h) times Q8_K
// activations (act_q8_k.comp), ggml's integer formulation as kQuantDotRow on
// the CPU (bit-identical): per super-block of 256 the exact integers
//   isum = sum_g scale[g] * (sum_e u[e] * x[e] - OFFSET * bsum[g]),  msum = sum_g min[g] * bsum[g]
// then acc += float(isum) * (d_w * d_x), acc -= float(msum) * (dmin_w * d_x).
// The products are SWAR: a weight word's four quants masked into 16-bit
// lanes, (u[4w], u[4w+2]) and (u[4w+1], u[4w+3]), each times one activation
// pair word gives u[e0]*x[e0] + u[e1]*x[e1] in bits 16..31; SPLIT products are
// summed before the lanes are split (the bound keeps |upper lane| < 2^15).
// One invocation computes ROWS rows for TOKENS tokens (decode 16 x 1, prefill
// 8 x 4); neighbouring invocations read neighbouring rows ([super-block][row]).
// Each texel is fetched once (on lavapipe a texel fetch is a call that loads
// lane by lane; the repeated activation fetches are shared by ROWS rows).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "push_constants.h"
layout(local_size_x_id = 0) in;
layout(binding = 0) uniform usamplerBuffer Q;  // repacked super-blocks, SLOTS texels each
layout(binding = 1) uniform usamplerBuffer XQ; // activation pair words, 32 texels a super-block
layout(binding = 2) buffer Output { float Y[]; };
layout(binding = 3) uniform samplerBuffer D;   // (d, dmin) per [super-block][row]
layout(binding = 4) uniform usamplerBuffer XM; // activation sums of 16 (4 texels) and d (1 texel) a super-block
layout(push_constant) uniform PC { MatmulPush p; };

#ifndef ROWS
#error "ROWS (rows per invocation) not defined"
#endif
#ifndef TOKENS
#define TOKENS 1u
#endif

#if defined(W_Q2_K)
#define SLOTS 5u
#define GROUP 16
#define OFFSET 0
#define HAS_MINS 1
#define SPLIT 8u
#elif defined(W_Q3_K)
#define SLOTS 7u
#define GROUP 16
#define OFFSET 4
#define SPLIT 8u
#elif defined(W_Q4_K)
#define SLOTS 9u
#define GROUP 32
#define OFFSET 0
#define HAS_MINS 1
#define SPLIT 8u
#elif defined(W_Q5_K)
#define SLOTS 11u
#define GROUP 32
#define OFFSET 0
#define HAS_MINS 1
#define SPLIT 4u
#elif defined(W_Q6_K)
#define SLOTS 13u
#define GROUP 16
#define OFFSET 32
#define SPLIT 2u
#else
#error "no W_<K-quant type> defined"
#endif

// 8 words of a super-block's texels, from word `word` (a multiple of 4)
void words8(uvec4 wt[SLOTS], uint word, out uint W[8]) {
    uvec4 a = wt[word / 4u], b = wt[word / 4u + 1u];
    W = uint[](a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w);
}

// Sub-block s's 32 quants as 16 lane words: L[2w] = u[4w] | u[4w+2] << 16, L[2w+1] = u[4w+1] | u[4w+3] << 16.
void lanes(uvec4 base[SLOTS], uint s, out uint L[16]) {
    uint W[8];
#if defined(W_Q4_K) || defined(W_Q5_K)
    words8(base, 8u * (s / 2u), W); // qs chunk s/2: low nibbles sub-block 2c, high 2c+1
    uint sh = 4u * (s & 1u);
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        L[2u * w] = (W[w] >> sh) & 0x000F000Fu;
        L[2u * w + 1u] = (W[w] >> (sh + 8u)) & 0x000F000Fu;
    }
#if defined(W_Q5_K)
    uint H[8];
    words8(base, 32u, H); // qh: bit s of byte e is sub-block s's fifth bit of element e
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        L[2u * w] |= ((H[w] >> s) & 0x00010001u) << 4;
        L[2u * w + 1u] |= ((H[w] >> (s + 8u)) & 0x00010001u) << 4;
    }
#endif
#elif defined(W_Q6_K)
    uint hf = s / 4u, k = s & 3u, H[8];
    words8(base, 16u * hf + 8u * (k & 1u), W); // ql: quarters 0/1 low nibbles, 2/3 high
    words8(base, 32u + 8u * hf, H);             // qh: bits 2k, 2k+1
    uint sh = 4u * (k / 2u);
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        L[2u * w] = ((W[w] >> sh) & 0x000F000Fu) | (((H[w] >> (2u * k)) & 0x00030003u) << 4);
        L[2u * w + 1u] = ((W[w] >> (sh + 8u)) & 0x000F000Fu) | (((H[w] >> (2u * k + 8u)) & 0x00030003u) << 4);
    }
#else // Q2_K, Q3_K: qs bits 2k of half hf (Q3_K: hmask bit 4hf+k as the third bit)
    uint hf = s / 4u, k = s & 3u;
    words8(base, 8u * hf, W);
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        L[2u * w] = (W[w] >> (2u * k)) & 0x00030003u;
        L[2u * w + 1u] = (W[w] >> (2u * k + 8u)) & 0x00030003u;
    }
#if defined(W_Q3_K)
    uint H[8];
    words8(base, 16u, H);
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        L[2u * w] |= ((H[w] >> (s)) & 0x00010001u) << 2;
        L[2u * w + 1u] |= ((H[w] >> (s + 8u)) & 0x00010001u) << 2;
    }
#endif
#endif
}

// bits 16..31 of a sum of lane products, the low lane's (|.| < 2^15) carry removed
int upperLane(uint acc) { return (int(acc) + 32768) >> 16; }

// sum of the element products of lane words first .. first + 2 * n / 2 - 1
int lanesDot(uint L[16], uint A[16], uint first, uint count) {
    int s = 0;
    [[unroll]] for (uint i = 0u; i < count; i += SPLIT) {
        uint acc = 0u;
        [[unroll]] for (uint j = 0u; j < SPLIT; ++j) acc += L[first + i + j] * A[first + i + j];
        s += upperLane(acc);
    }
    return s;
}

// byte g of the scales texel, signed (Q3_K, Q6_K) or unsigned
int scaleByte(uvec4 sc, uint g, bool signedByte) {
    uint word = sc[g / 4u], sh = 8u * (g & 3u);
    return signedByte ? int(word << (24u - sh)) >> 24 : int((word >> sh) & 255u);
}

void store(uint t, uint row, float acc) {
    if (row >= p.rows) return;
    uint yi = t * p.yStride + p.yOffset + row;
    if (p.accumulate != 0u) {
        precise float sum = Y[yi] + acc;
        Y[yi] = sum;
    } else {
        Y[yi] = acc;
    }
}

void main() {
    uint r0 = gl_GlobalInvocationID.x * ROWS;
    uint t0 = gl_GlobalInvocationID.y * TOKENS;
    if (r0 >= p.rows || t0 >= p.tokens) return;
    uint nb = p.cols / 256u;
    uint xb[TOKENS];
    [[unroll]] for (uint t = 0u; t < TOKENS; ++t) xb[t] = min(t0 + t, p.tokens - 1u) * nb; // extra lanes repeat the last token
    uint rowOf[ROWS];
    [[unroll]] for (uint r = 0u; r < ROWS; ++r) rowOf[r] = min(r0 + r, p.rows - 1u);
    precise float acc[ROWS * TOKENS];
    [[unroll]] for (uint i = 0u; i < ROWS * TOKENS; ++i) acc[i] = 0.0;
    for (uint b = 0u; b < nb; ++b) {
        int isum[ROWS * TOKENS], msum[ROWS * TOKENS];
        [[unroll]] for (uint i = 0u; i < ROWS * TOKENS; ++i) {
            isum[i] = 0;
            msum[i] = 0;
        }
        int bs[TOKENS * 16u];
        float dx[TOKENS];
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
            [[unroll]] for (uint i = 0u; i < 4u; ++i) {
                ivec4 v = ivec4(texelFetch(XM, int((xb[t] + b) * 5u + i)));
                bs[t * 16u + 4u * i] = v.x;
                bs[t * 16u + 4u * i + 1u] = v.y;
                bs[t * 16u + 4u * i + 2u] = v.z;
                bs[t * 16u + 4u * i + 3u] = v.w;
            }
            dx[t] = uintBitsToFloat(texelFetch(XM, int((xb[t] + b) * 5u + 4u)).x);
        }
        // each texel fetched once (a texel fetch is a call on lavapipe): the rows' super-blocks, then sub-block by sub-block
        uvec4 wt[ROWS][SLOTS];
        [[unroll]] for (uint r = 0u; r < ROWS; ++r)
            [[unroll]] for (uint i = 0u; i < SLOTS; ++i) wt[r][i] = texelFetch(Q, int((b * p.rows + rowOf[r]) * SLOTS + i));
        [[unroll]] for (uint s = 0u; s < 8u; ++s) {
            uint A[TOKENS][16];
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
                [[unroll]] for (uint i = 0u; i < 4u; ++i) {
                    uvec4 v = texelFetch(XQ, int((xb[t] + b) * 32u + 4u * s + i));
                    A[t][4u * i] = v.x;
                    A[t][4u * i + 1u] = v.y;
                    A[t][4u * i + 2u] = v.z;
                    A[t][4u * i + 3u] = v.w;
                }
            [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
                uint L[16];
                lanes(wt[r], s, L);
                [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
#if GROUP == 16
                    [[unroll]] for (uint h = 0u; h < 2u; ++h) {
                        uint g = 2u * s + h;
                        int bsum = bs[t * 16u + g];
#if defined(W_Q2_K)
                        uint raw = uint(scaleByte(wt[r][SLOTS - 1u], g, false));
                        isum[r * TOKENS + t] += int(raw & 15u) * lanesDot(L, A[t], 8u * h, 8u);
                        msum[r * TOKENS + t] += int(raw >> 4) * bsum;
#else
                        isum[r * TOKENS + t] += scaleByte(wt[r][SLOTS - 1u], g, true) * (lanesDot(L, A[t], 8u * h, 8u) - OFFSET * bsum);
#endif
                    }
#else
                    int bsum = bs[t * 16u + 2u * s] + bs[t * 16u + 2u * s + 1u];
                    isum[r * TOKENS + t] += scaleByte(wt[r][SLOTS - 1u], s, false) * lanesDot(L, A[t], 0u, 16u);
                    msum[r * TOKENS + t] += scaleByte(wt[r][SLOTS - 1u], 8u + s, false) * bsum;
#endif
                }
            }
        }
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            vec2 dm = texelFetch(D, int(b * p.rows + rowOf[r])).xy;
            [[unroll]] for (uint t = 0u; t < TOKENS; ++t) {
                acc[r * TOKENS + t] += float(isum[r * TOKENS + t]) * (dm.x * dx[t]);
#ifdef HAS_MINS
                acc[r * TOKENS + t] -= float(msum[r * TOKENS + t]) * (dm.y * dx[t]);
#endif
            }
        }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        [[unroll]] for (uint t = 0u; t < TOKENS; ++t)
            if (t0 + t < p.tokens) store(t0 + t, r0 + r, acc[r * TOKENS + t]);
}
