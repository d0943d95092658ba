#include "support/chat_model.h"

#include "formats/gguf_reader.h"
#include "formats/gguf_writer.h"
#include "support/test_paths.h"

namespace qbtest {

const char* const kChatMlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string chatMlStoriesCopy() {
    static std::string path;
    if (!path.empty()) return path;
    const auto g = qb::GgufFile::open(sharedPath("models/stories260K.gguf"));
    qb::GgufWriter w;
    for (const auto& [k, v] : g->metadata())
        if (k != "general.alignment") w.set(k, v);
    w.set("tokenizer.chat_template", qb::GgufValue::str(kChatMlTemplate));
    for (const auto& info : g->tensors())
        w.addTensor({info.name, info.type, info.shape, [info] { return std::vector<uint8_t>(info.data, info.data + info.bytes); }});
    path = scratchDir("chatml") + "/stories260K-chatml.gguf";
    w.write(path);
    return path;
}

} // namespace qbtest
