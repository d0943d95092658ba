#!/usr/bin/env bash
# Inference speed on this machine's Vulkan device and on the CPU reference:
# stories260K (real weights) and a synthetic 110M Llama in Q4_0 (synthetic
# weights), prefill 128 / decode 32 tokens. Prints tok/s and the ratio of
# each number to its target from the Vulkan engine issue (lavapipe, 2 cores):
# 110M Q4_0 decode >= 40, prefill >= 100; stories260K decode >= 500.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
"$cli" quantize "$work/f16.gguf" "$work/q4_0.gguf" --type Q4_0 --pure >/dev/null 2>&1
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
run "stories260K F32 (real weights)" "$shared/models/stories260K.gguf" cpu 0 0
run "llama-110m Q4_0 (synthetic weights)" "$work/q4_0.gguf" vulkan 100 40
run "llama-110m Q4_0 (synthetic weights)" "$work/q4_0.gguf" cpu 0 0
