// The decode attention of one query head, shared by attention_decode.comp and
// layer_decode.comp: RoPE on the token's q and k, the K/V cache append (by the
// first head of each KV group) and causal GQA attention over the cache, with
// the arithmetic of rope/kv_store/attention. Every head uses its own
// (identical) rotated k and v for the newest position, so no head waits on
// another. The includer defines QKV(i), ANGLE(i), SC(i), SC_SET(i, v),
// OUT_SET(i, v), the K / V cache buffers written (K, V) and read (K_READ,
// V_READ: earlier positions only, R32G32B32A32_UINT texel views of K and V
// read by LOAD8, common/kv.glsl with KV_READ8), and optionally
// OUT_Q8_BLOCK(blk, float v[32]) to take each 32 outputs as a block too. Arrays indexed in the inner
// loops are indexed at fixed offsets (lavapipe gathers and scatters lane by
// lane for a private array indexed at run time): Q·K for blocks of 8 keys x 8
// dimensions, V's sums 8 dimensions at a time, each sum in the reference's order.
float rotated(uint base, uint idx, uint headDim, bool neox) { // element idx of the rotated head at QKV(base..)
    uint hf = headDim / 2u;
    uint i, a, b;
    bool first;
    if (neox) { i = idx % hf; a = i; b = i + hf; first = idx < hf; } // NeoX
    else { i = idx / 2u; a = 2u * i; b = 2u * i + 1u; first = (idx & 1u) == 0u; }
    float c = ANGLE(i * 2u), s = ANGLE(i * 2u + 1u);
    float x0 = QKV(base + a), x1 = QKV(base + b);
    precise float r = first ? x0 * c - x1 * s : x0 * s + x1 * c;
    return r;
}

// Head h of the token at position pos, whose q|k|v row starts at QKV(row); the
// head's output goes to OUT_SET(outBase + h * headDim + i, value). window: the
// positions it sees, itself included (0 = all); softcap: scores capped by
// softcap * tanh(s / softcap) (0 = none). Needs common/activations.glsl.
void attendDecode(uint h, uint heads, uint kvHeads, uint headDim, uint pos, uint capacity, float scale, float qScale, bool neox, uint row, uint outBase,
                  uint window, float softcap) {
    uint groups = heads / kvHeads, kvh = h / groups;
    uint kvDim = kvHeads * headDim, qDim = heads * headDim;
    uint qBase = row + h * headDim, kBase = row + qDim + kvh * headDim, vBase = row + qDim + kvDim + kvh * headDim;
    uint so = h * capacity;
    bool writer = h % groups == 0u;
    if (writer) {
#if defined(KV_F16)
        for (uint i = 0u; i < headDim; i += 2u) { // headDim is even; pairs never straddle heads
            uint o2 = (pos * kvDim + kvh * headDim + i) / 2u;
            K[o2] = packHalf2x16(vec2(roundHalfRte(rotated(kBase, i, headDim, neox)), roundHalfRte(rotated(kBase, i + 1u, headDim, neox))));
            V[o2] = packHalf2x16(vec2(roundHalfRte(QKV(vBase + i)), roundHalfRte(QKV(vBase + i + 1u))));
        }
#else
        for (uint i = 0u; i < headDim; ++i) {
            K[pos * kvDim + kvh * headDim + i] = floatBitsToUint(rotated(kBase, i, headDim, neox));
            V[pos * kvDim + kvh * headDim + i] = floatBitsToUint(QKV(vBase + i));
        }
#endif
    }
    // this token's rotated query (and key, value), rounded as the cache rounds them, once
    float qr[256], kr[256], vr[256];
    for (uint i = 0u; i < headDim; ++i) {
        precise float qs = rotated(qBase, i, headDim, neox) * qScale;
        qr[i] = qs;
        kr[i] = rotated(kBase, i, headDim, neox);
        vr[i] = QKV(vBase + i);
#ifdef KV_F16
        qr[i] = roundHalfRte(qr[i]);
        kr[i] = roundHalfRte(kr[i]);
        vr[i] = roundHalfRte(vr[i]);
#endif
    }
    uint first = window != 0u && pos + 1u > window ? pos + 1u - window : 0u;
    uint kvOff = kvh * headDim;
    float mx = -3.0e38;
    for (uint jb = first; jb <= pos; jb += 8u) {
        precise float dot[8];
        [[unroll]] for (uint jj = 0u; jj < 8u; ++jj) dot[jj] = 0.0;
        for (uint i0 = 0u; i0 < headDim; i0 += 8u) {
            float q8[8], k8[8];
            [[unroll]] for (uint e = 0u; e < 8u; ++e) q8[e] = qr[i0 + e];
            [[unroll]] for (uint jj = 0u; jj < 8u; ++jj) {
                uint j = min(jb + jj, pos); // keys past this token repeat it (unused)
                if (j == pos) { // this token's key, not yet in the cache for every head
                    [[unroll]] for (uint e = 0u; e < 8u; ++e) k8[e] = kr[i0 + e];
                } else {
                    LOAD8(K_READ, KS, j * kvDim + kvOff + i0, k8);
                }
                [[unroll]] for (uint e = 0u; e < 8u; ++e) dot[jj] += q8[e] * k8[e];
            }
        }
        [[unroll]] for (uint jj = 0u; jj < 8u; ++jj) {
            uint j = jb + jj;
            if (j > pos) break;
            precise float d = dot[jj] * scale;
            if (softcap > 0.0) d = softcapRef(d, softcap);
            SC_SET(so + j, d);
            mx = max(mx, d);
        }
    }
    precise REDUCE_T sum = 0.0;
    for (uint j = first; j <= pos; ++j) {
        float e = expRef(SC(so + j) - mx);
        SC_SET(so + j, e);
        sum += e;
    }
    float inv = float(1.0 / sum);
    for (uint j = first; j <= pos; ++j) { // the weights V is summed with (rounded to F16 for an F16 cache, as ggml)
        precise float a = SC(so + j) * inv;
#ifdef KV_F16
        a = roundHalfRte(a);
#endif
        SC_SET(so + j, a);
    }
    // weighted sums of V, position by position (the reference's order for each output)
#ifdef OUT_Q8_BLOCK // the includer also takes the output 32 dimensions at a time (headDim a multiple of 32)
    for (uint i0 = 0u; i0 < headDim; i0 += 32u) {
        float acc[32], v8[8];
        [[unroll]] for (uint e = 0u; e < 32u; ++e) acc[e] = 0.0;
        for (uint j = first; j <= pos; ++j) {
            float a = SC(so + j);
            [[unroll]] for (uint c = 0u; c < 4u; ++c) {
                if (j == pos) {
                    [[unroll]] for (uint e = 0u; e < 8u; ++e) v8[e] = vr[i0 + 8u * c + e];
                } else {
                    LOAD8(V_READ, VS, j * kvDim + kvOff + i0 + 8u * c, v8);
                }
                [[unroll]] for (uint e = 0u; e < 8u; ++e) {
                    precise float y = acc[8u * c + e] + a * v8[e];
                    acc[8u * c + e] = y;
                }
            }
        }
        [[unroll]] for (uint e = 0u; e < 32u; ++e) OUT_SET(outBase + h * headDim + i0 + e, acc[e]);
        OUT_Q8_BLOCK((outBase + h * headDim + i0) / 32u, acc);
    }
#else // eight dimensions at a time
    for (uint i0 = 0u; i0 < headDim; i0 += 8u) {
        float acc[8], v8[8];
        [[unroll]] for (uint e = 0u; e < 8u; ++e) acc[e] = 0.0;
        for (uint j = first; j <= pos; ++j) {
            float a = SC(so + j);
            if (j == pos) {
                [[unroll]] for (uint e = 0u; e < 8u; ++e) v8[e] = vr[i0 + e];
            } else {
                LOAD8(V_READ, VS, j * kvDim + kvOff + i0, v8);
            }
            [[unroll]] for (uint e = 0u; e < 8u; ++e) {
                precise float y = acc[e] + a * v8[e];
                acc[e] = y;
            }
        }
        [[unroll]] for (uint e = 0u; e < 8u; ++e) OUT_SET(outBase + h * headDim + i0 + e, acc[e]);
    }
#endif
}
