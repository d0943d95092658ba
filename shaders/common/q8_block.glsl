// One block of 32 activations quantized to Q8_0 (int8 + F16 scale, as
// quantizeQ8Blocks on the CPU: q = roundEven(x * 127 / amax)) and written for
// the integer-dot matmuls (matmul_q.comp) as block `blk`: the quants in one of
// two layouts, 64 or 32 bytes a block,
//   LAYOUT_PAIRS: 16 words, word 4w+j = x[e1] + x[e0] * 65536 with (e0, e1) =
//     (4w, 4w+2), (4w+1, 4w+3), (4w+16, 4w+18), (4w+17, 4w+19) for j = 0..3:
//     the pairs a 32-bit multiply meets when the 4-bit quants of weight word w
//     are masked into 16-bit lanes (common/q8_dot.glsl, SWAR path)
//   LAYOUT_BYTES: 8 words of 4 int8 each, element order (integer dot product path)
// and the block's scale, the sum of its quants (for Q4_0's -8, Q5_0's -16) and
// Q8_1's s = F16(sum * amax / 127) (Q4_1 / Q5_1 mins) as a vec4 in XM.
// The includer declares `uint XQ[]` and `vec4 XM[]` and includes common/half.glsl.
void storeQ8Block(uint blk, float v[32]) {
    float amax = 0.0;
    [[unroll]] for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(v[j]));
    float id = amax != 0.0 ? 127.0 / amax : 0.0;
    int q[32];
    int qsum = 0;
    [[unroll]] for (uint j = 0u; j < 32u; ++j) {
        q[j] = int(roundEven(v[j] * id));
        qsum += q[j];
    }
#if defined(LAYOUT_PAIRS)
    [[unroll]] for (uint w = 0u; w < 4u; ++w) {
        uint base = blk * 16u + w * 4u;
        XQ[base + 0u] = uint(q[4u * w + 2u] + q[4u * w] * 65536);
        XQ[base + 1u] = uint(q[4u * w + 3u] + q[4u * w + 1u] * 65536);
        XQ[base + 2u] = uint(q[4u * w + 18u] + q[4u * w + 16u] * 65536);
        XQ[base + 3u] = uint(q[4u * w + 19u] + q[4u * w + 17u] * 65536);
    }
#elif defined(LAYOUT_BYTES)
    [[unroll]] for (uint w = 0u; w < 8u; ++w)
        XQ[blk * 8u + w] = (uint(q[4u * w]) & 255u) | ((uint(q[4u * w + 1u]) & 255u) << 8) | ((uint(q[4u * w + 2u]) & 255u) << 16) |
                           (uint(q[4u * w + 3u]) << 24);
#else
#error "LAYOUT_PAIRS or LAYOUT_BYTES"
#endif
    precise float d = amax / 127.0, s = float(qsum) * d;
    XM[blk] = vec4(roundHalfRte(d), float(qsum), roundHalfRte(s), 0.0);
}
