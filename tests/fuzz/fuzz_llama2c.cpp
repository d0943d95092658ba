// llama2.c checkpoint: header and weight layout checks.
#include "common/error.h"
#include "fuzz_file.h"
#include "model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= 4 && data[0] == 'G' && data[1] == 'G' && data[2] == 'U' && data[3] == 'F') return 0; // that is fuzz_gguf's
    const std::string path = writeFuzzInput(data, size, ".bin");
    try {
        (void)qb::loadModel(path);
    } catch (const qb::Error&) {
    }
    return 0;
}
