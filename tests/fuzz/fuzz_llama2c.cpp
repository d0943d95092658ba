// llama2.c checkpoint: header and weight layout checks, from memory.
#include "common/error.h"
#include "common/mapped_file.h"
#include "model/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        (void)qb::loadLlama2cModel(qb::MappedFile::fromBytes("fuzz-input.bin", data, size), {});
    } catch (const qb::Error&) {
    }
    return 0;
}
