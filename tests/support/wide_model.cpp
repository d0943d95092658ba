#include "support/wide_model.h"

#include "formats/gguf_writer.h"
#include "model/model.h"
#include "support/test_paths.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace qbtest {

namespace {

using Map = std::function<int64_t(int64_t)>;

const Map same = [](int64_t i) { return i; };
const Map head = [](int64_t i) { return (i / 8) * 32 + i % 8; }; // dimension j of head h: h*8+j -> h*32+j

// src (rows x cols, ggml order {cols, rows}) placed into a zero newRows x newCols, scaled
std::vector<uint8_t> place(const qb::Tensor& src, int64_t newCols, int64_t newRows, const Map& colOf, const Map& rowOf, float scale,
                           float fill = 0.0f) {
    const std::vector<float> v = qb::dequantizeTensor(src);
    std::vector<float> out(size_t(newCols * newRows), fill);
    for (int64_t r = 0; r < src.rows(); ++r)
        for (int64_t c = 0; c < src.cols(); ++c) out[size_t(rowOf(r) * newCols + colOf(c))] = v[size_t(r * src.cols() + c)] * scale;
    std::vector<uint8_t> bytes(out.size() * 4);
    std::memcpy(bytes.data(), out.data(), bytes.size());
    return bytes;
}

bool endsWith(const std::string& s, const std::string& tail) { return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0; }

} // namespace

void writeWideStories(const std::string& path) {
    const auto model = qb::loadModel(sharedPath("models/stories260K.gguf"));
    const qb::ModelConfig& c = model->config;
    if (c.dim != 64 || c.headDim != 8 || c.ffnDim != 172) throw std::runtime_error("writeWideStories: expected stories260K's shapes");
    constexpr int64_t W = 256, headDim = 32;
    qb::GgufWriter w;
    for (const auto& [k, v] : model->sourceMetadata) w.set(k, v);
    w.set("llama.embedding_length", qb::GgufValue::u32(W));
    w.set("llama.feed_forward_length", qb::GgufValue::u32(W));
    w.set("llama.rope.dimension_count", qb::GgufValue::u32(headDim));
    w.set("llama.attention.layer_norm_rms_epsilon", qb::GgufValue::f32(c.normEps / 4));
    w.set("general.name", qb::GgufValue::str("stories260K-wide256"));
    for (const qb::Tensor& t : model->tensors) {
        const std::string& n = t.name;
        const int64_t kv = c.nKvHeads * headDim, q = c.nHeads * headDim;
        std::function<std::vector<uint8_t>()> produce;
        std::vector<int64_t> shape;
        if (endsWith(n, "norm.weight")) shape = {W}, produce = [&t] { return place(t, W, 1, same, same, 0.5f, 1.0f); };
        else if (n == "token_embd.weight" || n == "output.weight") shape = {W, t.rows()}, produce = [&t] { return place(t, W, t.rows(), same, same, 1.0f); };
        else if (endsWith(n, "attn_q.weight")) shape = {W, q}, produce = [&t, q] { return place(t, W, q, same, head, 2.0f); };
        else if (endsWith(n, "attn_k.weight") || endsWith(n, "attn_v.weight")) shape = {W, kv}, produce = [&t, kv] { return place(t, W, kv, same, head, 1.0f); };
        else if (endsWith(n, "attn_output.weight")) shape = {q, W}, produce = [&t, q] { return place(t, q, W, head, same, 1.0f); };
        else if (endsWith(n, "ffn_gate.weight") || endsWith(n, "ffn_up.weight") || endsWith(n, "ffn_down.weight"))
            shape = {W, W}, produce = [&t] { return place(t, W, W, same, same, 1.0f); };
        else throw std::runtime_error("writeWideStories: unexpected tensor " + n);
        w.addTensor({n, qb::GgmlType::F32, shape, produce});
    }
    // theta_i = pos * base^(-2i/32) / f_i must equal pos * base^(-2i/8) for the 4 real pairs
    w.addTensor({"rope_freqs.weight", qb::GgmlType::F32, {headDim / 2}, [&c] {
                     std::vector<float> f(headDim / 2, 1.0f);
                     for (int i = 0; i < 4; ++i) f[size_t(i)] = float(std::pow(double(c.ropeFreqBase), 2.0 * i / 8.0 - 2.0 * i / double(headDim)));
                     std::vector<uint8_t> b(f.size() * 4);
                     std::memcpy(b.data(), f.data(), b.size());
                     return b;
                 }});
    w.write(path);
}

} // namespace qbtest
