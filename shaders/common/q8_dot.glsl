// Exact integer dot of one 32-value block of Q4_0, Q4_1, Q5_0, Q5_1 or Q8_0
// weights (repacked quants, vk/repack.h) with one block of Q8_0 activations
// (act_q8_0.comp), for matmul_q.comp and matmul_q_subgroup.comp, and the
// block's term of the row sum in ggml's order (BLOCK_TERM, as integerDotRow).
// Two ways, by variant:
//   default (LAYOUT_PAIRS activations): SWAR. 4-bit quants a, b masked into
//     16-bit lanes (5-bit: their fifth bits or-ed in) times a pair word
//     x[e1] + x[e0]*65536 give a*x[e0] + b*x[e1] in bits 16..31; sixteen such
//     products (eight for 5-bit quants) are summed before the lanes are split
//     (|low lane| < 2^15, the total fits an int32). Q8_0 weights meet the
//     pairs unpacked to ints once per block (prepareX).
//   DOT4 (LAYOUT_BYTES): the device's 4x8-bit integer dot product (OpSDot).
// X_WORDS is the activation words a block takes; XPrep what prepareX makes.
#if defined(W_Q4_0) || defined(W_Q4_1) || defined(W_Q5_0) || defined(W_Q5_1)
#define W_NIBBLES // 16 bytes of nibbles: element j in byte j's low nibble, j + 16 in its high one
#endif
#if defined(W_Q4_1) || defined(W_Q5_1)
#define W_HAS_MIN // a min per block (D after the scales), activations' Q8_1 sums
#endif
#if defined(W_Q5_0) || defined(W_Q5_1)
#define W_HAS_HIGH // fifth bits, 32 a block (Q after the quants)
#endif
// The block's term: sumi its integer dot, d / m the weight block's scale / min,
// xm the activation block's (d, sum of quants, Q8_1 s).
#if defined(W_Q4_0)
#define BLOCK_TERM(sumi, d, m, xm) (float(sumi) * (d) * (xm).x)
#elif defined(W_Q8_0)
#define BLOCK_TERM(sumi, d, m, xm) (float(sumi) * ((d) * (xm).x))
#elif defined(W_Q5_0)
#define BLOCK_TERM(sumi, d, m, xm) (((d) * (xm).x) * float(sumi))
#else // Q4_1, Q5_1
#define BLOCK_TERM(sumi, d, m, xm) (((d) * (xm).x) * float(sumi) + (m) * (xm).z)
#endif
#ifdef DOT4
#extension GL_EXT_spirv_intrinsics : require
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int sdot4(uint a, uint b, spirv_literal int packedVectorFormat4x8Bit);
#define X_WORDS 8u
#else
#define X_WORDS 16u
#endif

struct XPrep {
#if defined(W_Q8_0) && !defined(DOT4)
    int v[32];
#else
    uint v[X_WORDS];
#endif
};

XPrep prepareX(uint x[X_WORDS]) {
    XPrep xp;
#if defined(W_Q8_0) && !defined(DOT4)
    const uint e0[4] = uint[](0u, 1u, 16u, 17u);
    [[unroll]] for (uint w = 0u; w < 4u; ++w)
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            int lo = int(x[w * 4u + j] << 16) >> 16;
            xp.v[4u * w + e0[j] + 2u] = lo;
            xp.v[4u * w + e0[j]] = (int(x[w * 4u + j]) - lo) >> 16;
        }
#else
    xp.v = x;
#endif
    return xp;
}

// bits 16..31 of a sum of lane products, the low lane's (|.| < 2^15) carry removed
int upperLane(uint acc) { return (int(acc) + 32768) >> 16; }

// the byte (or pair-lane) offset the quants carry: Q4_0 8, Q5_0 16, unsigned types 0
#if defined(W_Q4_0)
#define QUANT_OFFSET 8
#elif defined(W_Q5_0)
#define QUANT_OFFSET 16
#else
#define QUANT_OFFSET 0
#endif

// q: the block's quants; q1: Q8_0's second half, or in q1.x the fifth bits of a
// Q5 block; qsum: the sum of the activation quants
int blockDot(uvec4 q, uvec4 q1, XPrep x, float qsum) {
#if defined(W_NIBBLES) && defined(DOT4)
    int s = 0;
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        uint lo = q[w] & 0x0F0F0F0Fu, hi = (q[w] >> 4) & 0x0F0F0F0Fu;
#ifdef W_HAS_HIGH // 4 fifth bits to bit 4 of 4 bytes: bit k times 2^(7k+4) lands on bit 8k+4, no carries
        lo |= (((q1.x >> (4u * w)) & 15u) * 0x02040810u) & 0x10101010u;
        hi |= (((q1.x >> (4u * w + 16u)) & 15u) * 0x02040810u) & 0x10101010u;
#endif
        s += sdot4(lo, x.v[w], 0) + sdot4(hi, x.v[4u + w], 0);
    }
    return s - QUANT_OFFSET * int(qsum);
#elif defined(W_NIBBLES)
    int s = 0;
    uint lanes = 0u;
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        const uint M = 0x000F000Fu; // word w's bytes 4w..4w+3: elements (4w, 4w+2), (4w+1, 4w+3) low, +16 high
        uint m0 = q[w] & M, m1 = (q[w] >> 8) & M, m2 = (q[w] >> 4) & M, m3 = (q[w] >> 12) & M;
#ifdef W_HAS_HIGH
        uint h = q1.x >> (4u * w), h16 = q1.x >> (4u * w + 16u);
        m0 |= ((h & 1u) << 4) | ((h & 4u) << 18);
        m1 |= ((h & 2u) << 3) | ((h & 8u) << 17);
        m2 |= ((h16 & 1u) << 4) | ((h16 & 4u) << 18);
        m3 |= ((h16 & 2u) << 3) | ((h16 & 8u) << 17);
#endif
        lanes += m0 * x.v[w * 4u] + m1 * x.v[w * 4u + 1u] + m2 * x.v[w * 4u + 2u] + m3 * x.v[w * 4u + 3u];
#ifdef W_HAS_HIGH // 8 products of up to 31 * 127 a lane
        s += upperLane(lanes);
        lanes = 0u;
#else // 16 products of up to 15 * 127
        if (w == 1u || w == 3u) {
            s += upperLane(lanes);
            lanes = 0u;
        }
#endif
    }
    return s - QUANT_OFFSET * int(qsum);
#elif defined(DOT4) // Q8_0
    int s = 0;
    [[unroll]] for (uint w = 0u; w < 4u; ++w) s += sdot4(q[w], x.v[w], 0) + sdot4(q1[w], x.v[4u + w], 0);
    return s;
#else // Q8_0, SWAR activations unpacked
    int s = 0;
    [[unroll]] for (uint w = 0u; w < 4u; ++w)
        [[unroll]] for (uint k = 0u; k < 4u; ++k)
            s += (int(q[w] << (24u - 8u * k)) >> 24) * x.v[4u * w + k] + (int(q1[w] << (24u - 8u * k)) >> 24) * x.v[16u + 4u * w + k];
    return s;
#endif
}

// the weight block's quants at slot `slot` ([block][row] order)
void loadBlock(usamplerBuffer Q, uint slot, out uvec4 q, out uvec4 q1) {
#if defined(W_NIBBLES) // the fifth bits come from blockAux
    q = texelFetch(Q, int(slot));
    q1 = uvec4(0u);
#else
    q = texelFetch(Q, int(slot * 2u));
    q1 = texelFetch(Q, int(slot * 2u + 1u));
#endif
}

// the activation block `blk` (token * blocks + block)
void loadX(usamplerBuffer XQ, uint blk, out uint x[X_WORDS]) {
    [[unroll]] for (uint i = 0u; i < X_WORDS / 4u; ++i) {
        uvec4 v = texelFetch(XQ, int(blk * (X_WORDS / 4u) + i));
        x[i * 4u] = v.x;
        x[i * 4u + 1u] = v.y;
        x[i * 4u + 2u] = v.z;
        x[i * 4u + 3u] = v.w;
    }
}

// Texel indices of a block's [block / 4][row] data (vk/repack.h): its scale in
// D, its min in D after the scales, its fifth bits in Q after the quants.
uint auxSlot(uint b, uint row, uint rows) { return (b >> 2) * rows + row; }
uint auxSlots(uint rows, uint cols) { return rows * ((cols / 32u + 3u) / 4u); }
