#pragma once
// stories260K with a ChatML chat template in its metadata (tokenizer.chat_template),
// written once per test process under the build tree: a chat model's GGUF in miniature.
#include <string>

namespace qbtest {

extern const char* const kChatMlTemplate;
std::string chatMlStoriesCopy();

} // namespace qbtest
