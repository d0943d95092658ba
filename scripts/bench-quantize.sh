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

# At real size, what users run: a synthetic tinyllama-1.1b F16 (2.2 GB) to
# llama-quantize's Q4_0 and Q4_K_M mixes, 2 threads, against llama-quantize's
# times on this machine class (llama.cpp c392e50, 2 threads, the same file shape;
# figures from issue 12): Q4_0 7.2 s, Q4_K_M 48.1 s. Skip with QUANTBENCH_BENCH_SMALL=1.
[[ ${QUANTBENCH_BENCH_SMALL:-0} == 1 ]] && exit 0
"$cli" synth --preset tinyllama-1.1b --vocab-from "$shared/vocab/ggml-vocab-llama-spm.gguf" --type F16 "$work/tl.gguf" >/dev/null 2>&1
echo "input: synthetic weights, tinyllama-1.1b preset, F16, $(stat -c %s "$work/tl.gguf") bytes; 2 threads"
for spec in Q4_0:7.2 Q4_K_M:48.1; do
  t=${spec%%:*} ref=${spec##*:}
  json=$("$cli" quantize "$work/tl.gguf" "$work/$t.gguf" --type "$t" --threads 2 --json 2>/dev/null)
  python3 - "$json" "$t" "$ref" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); ref = float(sys.argv[3])
print("%-7s %7.2f s  (llama-quantize %.1f s: %.2fx its time)  %d bytes out, %.3f bits/weight" % (
    sys.argv[2], d["seconds"], ref, d["seconds"] / ref, d["output_bytes"], d["bits_per_weight"]))
PY
  rm -f "$work/$t.gguf"
done
