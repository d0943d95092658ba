// GGUF: parse, build the model and its vocabulary, tokenize a little. The input
// is read from memory (no file system per execution).
#include "common/error.h"
#include "common/mapped_file.h"
#include "formats/gguf_reader.h"
#include "model/loaders.h"
#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto g = qb::GgufFile::fromMapping(qb::MappedFile::fromBytes("fuzz-input.gguf", data, size));
        uint8_t sum = 0; // touch the first and last byte of every tensor: ASan sees any bad view
        for (const auto& t : g->tensors())
            if (t.bytes) sum ^= t.data[0] ^ t.data[t.bytes - 1];
        (void)sum;
        qb::LoadOptions o;
        o.vocabOnly = true;
        auto m = qb::loadGgufModel(g, o);
        if (m->vocab) {
            qb::Tokenizer tok(m->vocab);
            const auto ids = tok.encode("Hello world, <s> 123 \xE2\x96\x81 \xF0\x9F\xA6\x99", true, true);
            (void)tok.decode(ids, true);
        }
        (void)qb::loadGgufModel(g, {});
    } catch (const qb::Error&) {
    }
    return 0;
}
