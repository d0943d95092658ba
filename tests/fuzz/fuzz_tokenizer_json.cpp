// HF tokenizer.json: structure checks, then tokenize a little with what loaded.
#include "common/error.h"
#include "model/hf_tokenizer_json.h"
#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto v = qb::vocabFromTokenizerJsonText("fuzz-input.json", std::string(reinterpret_cast<const char*>(data), size));
        qb::Tokenizer tok(v);
        (void)tok.decode(tok.encode("Hello world's 12345 <|x|>", true, true), true);
    } catch (const qb::Error&) {
    }
    return 0;
}
