// Byte-level reads from a weight buffer bound as uint[] (no 8/16-bit storage
// needed), and dequantization of one 32-value block of any supported type.
// Each variant is compiled with exactly one W_<TYPE> define.

// WWORD(i), the i-th 32-bit word of the weights, is defined by the including shader.
uint wbyte(uint off) { return (WWORD(off >> 2) >> ((off & 3u) * 8u)) & 0xFFu; }
int wint8(uint off) { return int(wbyte(off) << 24) >> 24; }
float whalf(uint off) { return unpackHalf2x16(wbyte(off) | (wbyte(off + 1u) << 8)).x; }
uint wu32(uint off) { return wbyte(off) | (wbyte(off + 1u) << 8) | (wbyte(off + 2u) << 16) | (wbyte(off + 3u) << 24); }

#if defined(W_F32) || defined(W_F16) || defined(W_BF16) || defined(W_I8_CH) || defined(W_F8_E4M3_CH)
#define W_PLAIN 1 // one value per element: read element by element
float fp8e4m3(uint v) {
    uint e = (v >> 3) & 15u, m = v & 7u;
    float mag = e == 0u ? float(m) * exp2(-9.0) : (1.0 + float(m) / 8.0) * exp2(float(e) - 7.0);
    return (v & 128u) != 0u ? -mag : mag;
}
float welement(uint rowOff, uint c) {
#if defined(W_F32)
    return uintBitsToFloat(WWORD((rowOff >> 2) + c)); // F32 rows are word-aligned
#elif defined(W_F16)
    return whalf(rowOff + c * 2u);
#elif defined(W_BF16)
    return uintBitsToFloat((wbyte(rowOff + c * 2u) | (wbyte(rowOff + c * 2u + 1u) << 8)) << 16);
#elif defined(W_I8_CH)
    return float(wint8(rowOff + c));
#else
    return fp8e4m3(wbyte(rowOff + c));
#endif
}
#else
// 32 values of block b (32-column block index) of the row starting at rowOff.
void dequant32(uint rowOff, uint b, out float v[32]) {
#if defined(W_Q8_0)
    uint o = rowOff + b * 34u;
    float d = whalf(o);
    for (uint j = 0u; j < 32u; ++j) v[j] = float(wint8(o + 2u + j)) * d;
#elif defined(W_Q4_0)
    uint o = rowOff + b * 18u;
    float d = whalf(o);
    for (uint j = 0u; j < 16u; ++j) {
        uint q = wbyte(o + 2u + j);
        v[j] = (float(q & 15u) - 8.0) * d;
        v[j + 16u] = (float(q >> 4) - 8.0) * d;
    }
#elif defined(W_Q4_1)
    uint o = rowOff + b * 20u;
    float d = whalf(o), m = whalf(o + 2u);
    for (uint j = 0u; j < 16u; ++j) {
        uint q = wbyte(o + 4u + j);
        v[j] = float(q & 15u) * d + m;
        v[j + 16u] = float(q >> 4) * d + m;
    }
#elif defined(W_Q5_0)
    uint o = rowOff + b * 22u;
    float d = whalf(o);
    uint qh = wu32(o + 2u);
    for (uint j = 0u; j < 16u; ++j) {
        uint q = wbyte(o + 6u + j);
        v[j] = float(int((q & 15u) | (((qh >> j) & 1u) << 4)) - 16) * d;
        v[j + 16u] = float(int((q >> 4) | (((qh >> (j + 16u)) & 1u) << 4)) - 16) * d;
    }
#elif defined(W_Q5_1)
    uint o = rowOff + b * 24u;
    float d = whalf(o), m = whalf(o + 2u);
    uint qh = wu32(o + 4u);
    for (uint j = 0u; j < 16u; ++j) {
        uint q = wbyte(o + 8u + j);
        v[j] = float((q & 15u) | (((qh >> j) & 1u) << 4)) * d + m;
        v[j + 16u] = float((q >> 4) | (((qh >> (j + 16u)) & 1u) << 4)) * d + m;
    }
#elif defined(W_Q2_K)
    uint o = rowOff + (b >> 3) * 84u, j = b & 7u, hf = j >> 2, k = j & 3u;
    float d = whalf(o + 80u), dmin = whalf(o + 82u);
    for (uint e = 0u; e < 32u; ++e) {
        uint part = e >> 4, sc = wbyte(o + hf * 8u + k * 2u + part);
        uint q = (wbyte(o + 16u + hf * 32u + e) >> (2u * k)) & 3u;
        v[e] = d * float(sc & 15u) * float(q) - dmin * float(sc >> 4);
    }
#elif defined(W_Q3_K)
    uint o = rowOff + (b >> 3) * 110u, j = b & 7u, hf = j >> 2, k = j & 3u;
    float dall = whalf(o + 108u);
    uint m = 1u << (hf * 4u + k);
    for (uint e = 0u; e < 32u; ++e) {
        uint is = hf * 8u + k * 2u + (e >> 4);
        uint low = is < 8u ? (wbyte(o + 96u + is) & 15u) : (wbyte(o + 96u + is - 8u) >> 4);
        uint high = (wbyte(o + 96u + 8u + (is & 3u)) >> (2u * (is >> 2))) & 3u;
        int sc = int(low | (high << 4)) - 32;
        uint q = (wbyte(o + 32u + hf * 32u + e) >> (2u * k)) & 3u;
        int hv = (wbyte(o + e) & m) != 0u ? 0 : 4;
        v[e] = dall * float(sc) * float(int(q) - hv);
    }
#elif defined(W_Q4_K) || defined(W_Q5_K)
#if defined(W_Q4_K)
    uint o = rowOff + (b >> 3) * 144u;
#else
    uint o = rowOff + (b >> 3) * 176u;
#endif
    uint j = b & 7u;
    float d = whalf(o), dmin = whalf(o + 2u);
    uint sc, mn;
    if (j < 4u) {
        sc = wbyte(o + 4u + j) & 63u;
        mn = wbyte(o + 8u + j) & 63u;
    } else {
        sc = (wbyte(o + 8u + j) & 15u) | ((wbyte(o + j) >> 6) << 4);
        mn = (wbyte(o + 8u + j) >> 4) | ((wbyte(o + 4u + j) >> 6) << 4);
    }
    float dd = d * float(sc), mm = dmin * float(mn);
    for (uint e = 0u; e < 32u; ++e) {
#if defined(W_Q4_K)
        uint q = wbyte(o + 16u + (j >> 1) * 32u + e);
        q = (j & 1u) == 0u ? (q & 15u) : (q >> 4);
#else
        uint q = wbyte(o + 48u + (j >> 1) * 32u + e);
        q = (j & 1u) == 0u ? (q & 15u) : (q >> 4);
        q += ((wbyte(o + 16u + e) >> j) & 1u) << 4;
#endif
        v[e] = dd * float(q) - mm;
    }
#elif defined(W_Q6_K)
    uint o = rowOff + (b >> 3) * 210u, j = b & 7u, hf = j >> 2, k = j & 3u;
    float d = whalf(o + 208u);
    for (uint e = 0u; e < 32u; ++e) {
        uint l = wbyte(o + hf * 64u + e + ((k & 1u) != 0u ? 32u : 0u));
        l = k < 2u ? (l & 15u) : (l >> 4);
        uint h = (wbyte(o + 128u + hf * 32u + e) >> (2u * k)) & 3u;
        int sc = wint8(o + 192u + hf * 8u + (e >> 4) + 2u * k);
        v[e] = d * float(sc) * float(int(l | (h << 4)) - 32);
    }
#else
#error "no W_<TYPE> defined"
#endif
}
#endif
