#!/usr/bin/env bash
# Quantization throughput: a synthetic 110M-parameter Llama-shaped F16 GGUF
# (quantbench-cli synth --preset llama-110m, vocabulary from llama-spm) is
# quantized to Q8_0, Q4_0 and Q4_K (pure: every matrix gets the type); prints
# MB/s of F16 input per type. Synthetic weights: speed only, not quality.
# Reference point from the issue: llama-quantize does F16->Q4_0 at about
# 130-270 MB/s of input on this 2-core machine.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
echo "input: synthetic weights, llama-110m preset, F16, $(stat -c %s "$work/f16.gguf") bytes; threads: $(nproc)"
for t in Q8_0 Q4_0 Q4_K; do
  json=$("$cli" quantize "$work/f16.gguf" "$work/$t.gguf" --type "$t" --pure --json 2>/dev/null)
  python3 - "$json" "$t" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print("%-5s %8.1f MB/s of input  (%.0f MB in %.2f s, %d threads, %.2f bits/weight out)" % (
    sys.argv[2], d["input_mb_per_second"], d["weight_bytes_in"] / 1e6, d["seconds"], d["threads"], d["bits_per_weight"]))
PY
  rm -f "$work/$t.gguf"
done
