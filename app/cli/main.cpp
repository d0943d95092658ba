// quantbench-cli: llama.cpp-style command line over the QuantBench core.
#include "cli/commands.h"
#include "common/error.h"
#include "common/read_file.h"

#include <QCoreApplication>
#include <cstdio>
#include <cstring>

namespace qbcli {

std::string readTextFile(const std::string& path) { return qb::readWholeFile(path); }

} // namespace qbcli

namespace {

struct Command {
    const char* name;
    int (*run)(const qbcli::Argv&);
    const char* usage;
};

const Command kCommands[] = {
    {"info", qbcli::cmdInfo, "info MODEL [--json] [--tokenizer TOK.bin]"},
    {"tokenize", qbcli::cmdTokenize, "tokenize MODEL TEXT [--no-bos] [--no-parse-special] [--json]"},
    {"detokenize", qbcli::cmdDetokenize, "detokenize MODEL ID... [--json]"},
    {"generate", qbcli::cmdGenerate,
     "generate MODEL -p PROMPT -n N [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S]\n"
     "           [--device cpu|vulkan[:N]] [--kv-type f16|f32|q8_0|fp8] [--tokenizer TOK.bin] [--threads N] [--json]"},
    {"perplexity", qbcli::cmdPerplexity,
     "perplexity MODEL --text FILE [--ctx 512] [--chunks K] [--device cpu|vulkan[:N]] [--kv-type f16|f32|q8_0|fp8] [--threads N] [--json]"},
    {"quantize", qbcli::cmdQuantize,
     "quantize IN OUT --type TYPE|RECIPE [--method rtn|imatrix|gptq|awq] [--imatrix FILE] [--calib FILE]\n"
     "           [--group 32|64|128] [--act-order] [--act dynamic|static] [--pure] [--format gguf|safetensors]\n"
     "           [--ctx N (512; awq 128)] [--chunks N] [--threads N] [--report FILE] [--json]     (RECIPE: Q4_K_M Q3_K_M Q5_K_M Q2_K, a type, INT8, FP8)\n"
     "       quantize IN OUT --target-bpw B | --target-bytes N | --max-kld K --calib FILE [--types Q4_0,Q5_0,Q8_0,...]\n"
     "           (a mix chosen from each tensor's measured KL-divergence; other options as above)"},
    {"imatrix", qbcli::cmdImatrix, "imatrix MODEL --text FILE -o FILE [--ctx 512] [--chunks N] [--json]"},
    {"devices", qbcli::cmdDevices, "devices [--json]"},
    {"bench", qbcli::cmdBench, "bench MODEL [--pp 128] [--tg 32] [--device cpu|vulkan[:N]] [--kv-type f16|f32|q8_0|fp8] [-r 3] [--json]"},
    {"kld", qbcli::cmdKld,
     "kld BASE VARIANT --text FILE [--ctx 512] [--chunks K] [--device cpu|vulkan[:N]] [--kv-type f16|f32|q8_0|fp8] [--json]"},
    {"mc", qbcli::cmdMc, "mc MODEL --tasks FILE [--device cpu|vulkan[:N]] [--json]     (FILE: HellaSwag text or JSON lines)"},
    {"sweep", qbcli::cmdSweep,
     "sweep MODEL --types F16,Q8_0,Q4_K_M,Q4_0[,Q4_0:gptq] --text FILE --out DIR [--tasks FILE] [--calib FILE]\n"
     "           [--reference SOURCE|F16] [--ctx 512] [--chunks K] [--pp 128] [--tg 32] [-r 2] [--group 32] [--act-order]\n"
     "           [--device cpu|vulkan[:N]] [--kv-type f16|f32|q8_0|fp8] [--json]"},
    {"recommend", qbcli::cmdRecommend,
     "recommend DIR/results.json [--use-case chat|summarization|code|reasoning|long-context|edge] [--max-ppl-increase 2%]\n"
     "           [--max-kld K] [--max-bytes N] [--ctx N] [--json]"},
    {"chat", qbcli::cmdChat,
     "chat MODEL [--system S] [--template auto|none|FILE] [--script FILE.json] [-n MAX] [--stop S] [--context-policy stop|drop-oldest]\n"
     "           [--temp T --top-k K --top-p P --min-p P --repeat-penalty R --seed S] [--ctx N] [--device cpu|vulkan[:N]]"},
    {"chat-template", qbcli::cmdChatTemplate,
     "chat-template (MODEL | --template FILE) --messages FILE.json [--add-generation-prompt] [--bos-token S] [--eos-token S]\n"
     "           [--now YYYY-MM-DD]     (prints the rendered prompt, nothing else)"},
    {"synth", qbcli::cmdSynth,
     "synth [--preset llama-110m|tinyllama-1.1b|llama-7b] [--arch llama|qwen2 --dim D --layers L --heads H --kv-heads K --ffn F]\n"
     "           --vocab-from MODEL_OR_VOCAB.gguf [--type F16] [--seed S] OUT.gguf"},
};

void printUsage(FILE* to) {
    std::fprintf(to, "usage: quantbench-cli COMMAND ...\n\ncommands:\n");
    for (const auto& c : kCommands) std::fprintf(to, "  %s\n", c.usage);
    std::fprintf(to, "\nMODEL is a GGUF file, an HF safetensors directory, or a llama2.c checkpoint.\n"
                     "Exit codes: 0 ok, 1 internal failure, 2 bad input.\n");
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv); // for Qt's text codecs and regular expressions; no event loop
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        printUsage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    qbcli::Argv rest(argv + 2, argv + argc);
    for (const auto& c : kCommands) {
        if (name != c.name) continue;
        for (const auto& a : rest)
            if (a == "--help" || a == "-h") {
                std::printf("usage: quantbench-cli %s\n", c.usage);
                return 0;
            }
        try {
            return c.run(rest);
        } catch (const qb::Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            if (e.kind() == qb::ErrorKind::Cancelled) return 130;
            return e.kind() == qb::ErrorKind::BadInput ? 2 : 1;
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "error: out of memory\n");
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: internal: %s\n", e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "error: unknown command '%s'\n", name.c_str());
    printUsage(stderr);
    return 2;
}
