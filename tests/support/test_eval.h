#pragma once
// Perplexity of a model on ../shared/text/tinystories_val.txt by
// llama-perplexity's method, for tests that compare models.
#include "model/model.h"

namespace qbtest {

double valPerplexity(const qb::Model& model, int ctx = 512, int chunks = 50);

} // namespace qbtest
