#pragma once
// The GGUF metadata that describes a Model (architecture hyper-parameters and
// tokenizer), as llama.cpp expects to read it. GGUF sources keep their own
// keys (chat template and the like); other sources get them generated.
#include "formats/gguf_value.h"
#include "model/model.h"

#include <string>
#include <utility>
#include <vector>

namespace qb {

std::vector<std::pair<std::string, GgufValue>> ggufMetadataFor(const Model& model);

} // namespace qb
