#!/usr/bin/env bash
# Inference speed on this machine's Vulkan device and on the CPU reference, on
# the files people run: stories260K (real weights; F32 and llama.cpp's own Q4_0
# file, which mixes Q4_0, F16 and Q8_0) and a synthetic 110M Llama (synthetic
# weights) as `quantize --type Q4_0` and `--type Q4_K_M` write it (llama-quantize's
# mixes: output.weight Q6_K, ...), `--pure` Q4_0, and `--type Q4_1` / `Q5_1`
# (Q8_1 activations). Prefill 128 / decode 32
# tokens, after a warm-up. Prints tok/s and the ratio of each number to its
# target on lavapipe (2 cores): 110M Q4_0 and Q4_K_M decode >= 40, prefill >= 150;
# stories260K Q4_0 decode >= 600, F32 decode >= 500.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
"$cli" quantize "$work/f16.gguf" "$work/q4_0.gguf" --type Q4_0 >/dev/null 2>&1
"$cli" quantize "$work/f16.gguf" "$work/q4_k_m.gguf" --type Q4_K_M >/dev/null 2>&1
"$cli" quantize "$work/f16.gguf" "$work/q4_0-pure.gguf" --type Q4_0 --pure >/dev/null 2>&1
"$cli" quantize "$work/f16.gguf" "$work/q4_1.gguf" --type Q4_1 >/dev/null 2>&1
"$cli" quantize "$work/f16.gguf" "$work/q5_1.gguf" --type Q5_1 >/dev/null 2>&1
run() { # label model device pp-target tg-target
  local json
  json=$("$cli" bench "$2" --pp 128 --tg 32 --device "$3" -r 3 --json 2>/dev/null)
  python3 - "$json" "$1" "$4" "$5" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); label = sys.argv[2]; ppt = float(sys.argv[3]); tgt = float(sys.argv[4])
ratio = lambda v, t: "" if t <= 0 else "  (%.2fx target %.0f)" % (v / t, t)
print("%-34s %-44s pp128 %8.1f tok/s%s" % (label, d["device"][:44], d["pp_tokens_per_second"], ratio(d["pp_tokens_per_second"], ppt)))
print("%-34s %-44s tg32  %8.1f tok/s%s" % ("", "", d["tg_tokens_per_second"], ratio(d["tg_tokens_per_second"], tgt)))
PY
}
run "stories260K F32 (real weights)" "$shared/models/stories260K.gguf" vulkan 0 500
run "stories260K Q4_0 (llama.cpp's file)" "$shared/golden/stories260K-q4_0.llamacpp.gguf" vulkan 0 600
run "stories260K Q4_0 (llama.cpp's file)" "$shared/golden/stories260K-q4_0.llamacpp.gguf" cpu 0 0
run "llama-110m Q4_0 (synthetic weights)" "$work/q4_0.gguf" vulkan 150 40
run "llama-110m Q4_K_M (synthetic weights)" "$work/q4_k_m.gguf" vulkan 150 40
run "llama-110m Q4_0 --pure (synthetic)" "$work/q4_0-pure.gguf" vulkan 0 0
run "llama-110m Q4_1 (synthetic weights)" "$work/q4_1.gguf" vulkan 0 0
run "llama-110m Q5_1 (synthetic weights)" "$work/q5_1.gguf" vulkan 0 0
run "llama-110m Q4_K_M (synthetic weights)" "$work/q4_k_m.gguf" cpu 0 0
