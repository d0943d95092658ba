// GGUF: parse, build the model and its vocabulary, tokenize a little.
#include "common/error.h"
#include "formats/gguf_reader.h"
#include "fuzz_file.h"
#include "model/model.h"
#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = writeFuzzInput(data, size, ".gguf");
    try {
        auto g = qb::GgufFile::open(path);
        uint8_t sum = 0; // touch the first and last byte of every tensor: ASan sees any bad view
        for (const auto& t : g->tensors())
            if (t.bytes) sum ^= t.data[0] ^ t.data[t.bytes - 1];
        (void)sum;
        qb::LoadOptions o;
        o.vocabOnly = true;
        auto m = qb::loadModel(path, o);
        if (m->vocab) {
            qb::Tokenizer tok(m->vocab);
            const auto ids = tok.encode("Hello world, <s> 123 \xE2\x96\x81 \xF0\x9F\xA6\x99", true, true);
            (void)tok.decode(ids, true);
        }
        (void)qb::loadModel(path);
    } catch (const qb::Error&) {
    }
    return 0;
}
