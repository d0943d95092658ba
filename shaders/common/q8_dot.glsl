// Exact integer dot of one 32-value block of Q4_0 / Q8_0 weights (repacked
// quants, vk/repack.h) with one block of Q8_0 activations (act_q8_0.comp),
// for matmul_q.comp and matmul_q_subgroup.comp. Two ways, by variant:
//   default (LAYOUT_PAIRS activations): SWAR. Q4_0 nibbles a, b masked into
//     16-bit lanes times a pair word x[e1] + x[e0]*65536 give a*x[e0] + b*x[e1]
//     in bits 16..31; eight such products are summed before the lanes are
//     split (|low lane| < 2^15, the total fits an int32). Q8_0 weights meet
//     the pairs unpacked to ints once per block (prepareX).
//   DOT4 (LAYOUT_BYTES): the device's 4x8-bit integer dot product (OpSDot).
// X_WORDS is the activation words a block takes; XPrep what prepareX makes.
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

// q: the block's quants (q1: Q8_0's second half); qsum: the sum of the activation quants
int blockDot(uvec4 q, uvec4 q1, XPrep x, float qsum) {
#if defined(W_Q4_0) && defined(DOT4)
    int s = 0;
    [[unroll]] for (uint w = 0u; w < 4u; ++w) s += sdot4(q[w] & 0x0F0F0F0Fu, x.v[w], 0) + sdot4((q[w] >> 4) & 0x0F0F0F0Fu, x.v[4u + w], 0);
    return s - 8 * int(qsum);
#elif defined(W_Q4_0)
    uint lanes0 = 0u, lanes1 = 0u;
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        const uint M = 0x000F000Fu;
        uint m0 = q[w] & M, m1 = (q[w] >> 8) & M, m2 = (q[w] >> 4) & M, m3 = (q[w] >> 12) & M;
        uint part = m0 * x.v[w * 4u] + m1 * x.v[w * 4u + 1u] + m2 * x.v[w * 4u + 2u] + m3 * x.v[w * 4u + 3u];
        if (w < 2u) lanes0 += part;
        else lanes1 += part;
    }
    return upperLane(lanes0) + upperLane(lanes1) - 8 * int(qsum);
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
#if defined(W_Q4_0)
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
