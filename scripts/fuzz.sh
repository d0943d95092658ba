#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 60), seeded from ../shared and the malformed catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shared=${QUANTBENCH_SHARED:-../shared}
cmake -S . -B build-fuzz -G Ninja -DQUANTBENCH_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz
seeds() { # target -> seed files
  case $1 in
    fuzz_gguf) ls "$shared"/golden/synth-kq-1-Q4_K.gguf "$shared"/vocab/ggml-vocab-llama-spm.gguf build/tests/data/malformed/*.gguf 2>/dev/null ;;
    fuzz_llama2c) ls "$shared"/models/llama2c/stories260K.bin build/tests/data/malformed/*.bin 2>/dev/null ;;
    fuzz_safetensors) ls build/test-scratch/hf_stories260K/*.safetensors build/tests/data/malformed/st-*/model.safetensors 2>/dev/null ;;
    fuzz_tokenizer_json) ls build/test-scratch/hf_stories260K/tokenizer.json build/test-scratch/qwen2_tiny/hf/tokenizer.json 2>/dev/null ;;
  esac
}
for t in fuzz_gguf fuzz_safetensors fuzz_llama2c fuzz_tokenizer_json fuzz_chat_template; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  for s in $(seeds $t); do cp -f "$s" "$corpus/seed-$(basename "$(dirname "$s")")-$(basename "$s")"; done
  if [[ $t == fuzz_chat_template && -f $shared/chat/templates.json ]]; then # the 32 real templates as seeds
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [open("%s/seed-template-%02d.jinja" % (sys.argv[2], i), "w").write(t) for i, t in enumerate(d["templates"].values())]' "$shared/chat/templates.json" "$corpus"
  fi
  echo "== $t ($secs s)"
  build-fuzz/bin/$t "$corpus" -max_total_time="$secs" -max_len=2000000 -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
    grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done|crash-" || true
done
