// Reference dequantization for every GGUF block type we read: one small
// function per type, written to be checked against ggml's block layouts
// (ggml-common.h) by eye. Speed lives in the Vulkan kernels, not here.
#include "common/error.h"
#include "common/half.h"
#include "quant/fp8.h"
#include "quant/ggml_type.h"
#include "quant/quant_blocks.h"

#include <cstring>
#include <vector>

namespace qb {

namespace {

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
float half(const uint8_t* p) { return halfToFloat(le16(p)); }

// block_q8_0: d (f16), qs[32] int8
void dequantQ8_0(const uint8_t* b, float* y) {
    const float d = half(b);
    const int8_t* qs = reinterpret_cast<const int8_t*>(b + 2);
    for (int j = 0; j < 32; ++j) y[j] = float(qs[j]) * d;
}

// block_q4_0: d (f16), qs[16]; low nibbles are elements 0..15, high 16..31; offset 8
void dequantQ4_0(const uint8_t* b, float* y) {
    const float d = half(b);
    const uint8_t* qs = b + 2;
    for (int j = 0; j < 16; ++j) {
        y[j] = float(int(qs[j] & 0x0f) - 8) * d;
        y[j + 16] = float(int(qs[j] >> 4) - 8) * d;
    }
}

// block_q4_1: d, m (f16), qs[16]; x = q*d + m
void dequantQ4_1(const uint8_t* b, float* y) {
    const float d = half(b), m = half(b + 2);
    const uint8_t* qs = b + 4;
    for (int j = 0; j < 16; ++j) {
        y[j] = float(qs[j] & 0x0f) * d + m;
        y[j + 16] = float(qs[j] >> 4) * d + m;
    }
}

// block_q5_0: d (f16), qh[4] (fifth bits), qs[16]; offset 16
void dequantQ5_0(const uint8_t* b, float* y) {
    const float d = half(b);
    uint32_t qh;
    std::memcpy(&qh, b + 2, 4);
    const uint8_t* qs = b + 6;
    for (int j = 0; j < 16; ++j) {
        const int hi0 = int((qh >> j) & 1) << 4;
        const int hi1 = int((qh >> (j + 16)) & 1) << 4;
        y[j] = float(((qs[j] & 0x0f) | hi0) - 16) * d;
        y[j + 16] = float(((qs[j] >> 4) | hi1) - 16) * d;
    }
}

// block_q5_1: d, m (f16), qh[4], qs[16]; x = q*d + m
void dequantQ5_1(const uint8_t* b, float* y) {
    const float d = half(b), m = half(b + 2);
    uint32_t qh;
    std::memcpy(&qh, b + 4, 4);
    const uint8_t* qs = b + 8;
    for (int j = 0; j < 16; ++j) {
        const int hi0 = int((qh >> j) & 1) << 4;
        const int hi1 = int((qh >> (j + 16)) & 1) << 4;
        y[j] = float((qs[j] & 0x0f) | hi0) * d + m;
        y[j + 16] = float((qs[j] >> 4) | hi1) * d + m;
    }
}

// block_q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin (f16)
void dequantQ2_K(const uint8_t* b, float* y) {
    const uint8_t* scales = b;
    const uint8_t* q = b + 16;
    const float d = half(b + 80), dmin = half(b + 82);
    int is = 0;
    for (int n = 0; n < 256; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half16 = 0; half16 < 2; ++half16) {
                const uint8_t sc = scales[is++];
                const float dl = d * float(sc & 0x0f), ml = dmin * float(sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * float((q[l + 16 * half16] >> shift) & 3) - ml;
            }
        }
        q += 32;
    }
}

// block_q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit scales), d (f16)
void dequantQ3_K(const uint8_t* b, float* y) {
    const uint8_t* hmask = b;
    const uint8_t* q = b + 32;
    const uint8_t* packed = b + 96;
    const float dAll = half(b + 108);
    int8_t scales[16];
    for (int i = 0; i < 16; ++i) {
        const int low = (i < 8) ? (packed[i] & 0x0f) : (packed[i - 8] >> 4);
        const int high = (packed[8 + (i % 4)] >> (2 * (i / 4))) & 3;
        scales[i] = int8_t((low | (high << 4)) - 32);
    }
    int is = 0;
    uint8_t m = 1;
    for (int n = 0; n < 256; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half16 = 0; half16 < 2; ++half16) {
                const float dl = dAll * float(scales[is++]);
                for (int l = 16 * half16; l < 16 * half16 + 16; ++l) {
                    const int v = int((q[l] >> shift) & 3) - ((hmask[l] & m) ? 0 : 4);
                    *y++ = dl * float(v);
                }
            }
            m <<= 1;
        }
        q += 32;
    }
}

// block_q4_K: d, dmin (f16), scales[12], qs[128]
void dequantQ4_K(const uint8_t* b, float* y) {
    const float d = half(b), dmin = half(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* q = b + 16;
    for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
        uint8_t sc, mn;
        quant::scaleMinK4(is, scales, sc, mn);
        const float d1 = d * sc, m1 = dmin * mn;
        quant::scaleMinK4(is + 1, scales, sc, mn);
        const float d2 = d * sc, m2 = dmin * mn;
        for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0x0f) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
        q += 32;
    }
}

// block_q5_K: d, dmin (f16), scales[12], qh[32], qs[128]
void dequantQ5_K(const uint8_t* b, float* y) {
    const float d = half(b), dmin = half(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* ql = b + 48;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
        uint8_t sc, mn;
        quant::scaleMinK4(is, scales, sc, mn);
        const float d1 = d * sc, m1 = dmin * mn;
        quant::scaleMinK4(is + 1, scales, sc, mn);
        const float d2 = d * sc, m2 = dmin * mn;
        for (int l = 0; l < 32; ++l) *y++ = d1 * float((ql[l] & 0x0f) + ((qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * float((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
        ql += 32;
        u1 <<= 2;
        u2 <<= 2;
    }
}

// block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8, d (f16)
void dequantQ6_K(const uint8_t* b, float* y) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
    const float d = half(b + 208);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = int((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = int((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * float(sc[is]) * float(q1);
            y[l + 32] = d * float(sc[is + 2]) * float(q2);
            y[l + 64] = d * float(sc[is + 4]) * float(q3);
            y[l + 96] = d * float(sc[is + 6]) * float(q4);
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

using BlockFn = void (*)(const uint8_t*, float*);

BlockFn blockFunction(GgmlType type) {
    switch (type) {
    case GgmlType::Q8_0: return dequantQ8_0;
    case GgmlType::Q4_0: return dequantQ4_0;
    case GgmlType::Q4_1: return dequantQ4_1;
    case GgmlType::Q5_0: return dequantQ5_0;
    case GgmlType::Q5_1: return dequantQ5_1;
    case GgmlType::Q2_K: return dequantQ2_K;
    case GgmlType::Q3_K: return dequantQ3_K;
    case GgmlType::Q4_K: return dequantQ4_K;
    case GgmlType::Q5_K: return dequantQ5_K;
    case GgmlType::Q6_K: return dequantQ6_K;
    default: return nullptr;
    }
}

} // namespace

namespace {
// Every F16 value as F32 (halfToFloat of each bit pattern, 256 KiB), as ggml's CPU
// backend converts: a load instead of the branches, for whole tensors of F16.
const float* halfTable() {
    static const std::vector<float> table = [] {
        std::vector<float> t(65536);
        for (uint32_t h = 0; h < 65536; ++h) t[h] = halfToFloat(uint16_t(h));
        return t;
    }();
    return table.data();
}
} // namespace

void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t elements) {
    const auto* p = static_cast<const uint8_t*>(src);
    switch (type) {
    case GgmlType::F32:
        std::memcpy(dst, p, size_t(elements) * 4);
        return;
    case GgmlType::F16: {
        const float* table = halfTable();
        for (int64_t i = 0; i < elements; ++i) dst[i] = table[le16(p + 2 * i)];
        return;
    }
    case GgmlType::BF16:
        for (int64_t i = 0; i < elements; ++i) dst[i] = bf16ToFloat(le16(p + 2 * i));
        return;
    case GgmlType::QB_I8_CH:
        for (int64_t i = 0; i < elements; ++i) dst[i] = float(int8_t(p[i]));
        return;
    case GgmlType::QB_F8_E4M3_CH:
        for (int64_t i = 0; i < elements; ++i) dst[i] = fp8E4M3ToFloat(p[i]);
        return;
    default: break;
    }
    const TypeTraits& t = traits(type);
    BlockFn fn = blockFunction(type);
    if (!fn) throw Error("internal: no dequantizer for " + typeName(type), ErrorKind::Internal);
    if (elements % t.blockElements != 0)
        throw Error("internal: " + std::to_string(elements) + " elements is not a multiple of the " + t.name +
                        " block size " + std::to_string(t.blockElements),
                    ErrorKind::Internal);
    for (int64_t i = 0; i < elements / t.blockElements; ++i)
        fn(p + i * t.blockBytes, dst + i * t.blockElements);
}

} // namespace qb
