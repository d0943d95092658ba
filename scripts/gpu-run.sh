#!/usr/bin/env bash
# The GPU check, run from a bundle made by scripts/gpu-bundle.sh (copied there
# as run.sh): needs bash, tar and gzip, a Vulkan driver; nothing else from
# the system but glibc. Lists the devices, runs the Vulkan tests with
# the validation layer, then benches (pp 512, tg 128, 3 repetitions, default
# device) stories260K and synthetic-weight 110M and 1.1B Llama models made here
# with `synth`, in F16, Q8_0, Q4_0 and Q4_K_M (llama-quantize's mixes), printing
# a Markdown table: tok/s and the share of the device's memory bandwidth the
# decode reaches (weight bytes read per token x tokens/s / bandwidth).
#   QB_BANDWIDTH_GBS   the device's memory bandwidth in GB/s (else from the device name)
#   QB_SKIP_TESTS=1    benches only;  QB_MODELS="110m 1.1b"  which synthetic sizes
#   QB_BENCH="--pp 512 --tg 128 -r 3"  the bench's sizes
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${TMPDIR:-/tmp}/quantbench-gpu.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
if [[ ! -d $here/lib ]]; then # unpack the libraries once, beside this script (or in the scratch folder if read-only)
  dest=$here
  [[ -w $here ]] || dest=$work
  tar -C "$dest" -xzf "$here/libs.tar.gz"
  lib=$dest/lib
else
  lib=$here/lib
fi
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VK_LAYER_PATH=$lib/layers
export QUANTBENCH_SHARED=$here/shared QUANTBENCH_TEST_SCRATCH=$work/scratch QT_QPA_PLATFORM=offscreen
# NVIDIA containers keep their ICD outside the loader's default folders
if [[ -z ${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-} ]] && ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json; do
    [[ -f $f ]] && export VK_DRIVER_FILES=$f && break
  done
fi
cli=$here/bin/quantbench-cli
echo "== devices"
"$cli" devices || { echo "no Vulkan device: see the loader's message above" >&2; exit 1; }
status=0
if [[ ${QB_SKIP_TESTS:-0} != 1 ]]; then
  for t in test_vk_kernels test_vk_attention test_vk_forward; do
    echo "== $t (validation layer on)"
    if "$here/bin/$t" >"$work/$t.log" 2>&1; then
      grep -E "^(Totals|QINFO)" "$work/$t.log"
    else
      status=1
      grep -E "^(FAIL|   Loc|Totals)|validation error" "$work/$t.log" | head -40
    fi
  done
fi

device=$("$cli" devices | head -1 | sed 's/^vulkan:0  //; s/  \[.*//')
bw=${QB_BANDWIDTH_GBS:-}
if [[ -z $bw ]]; then # published peak bandwidths (GB/s)
  case $device in
    *H200*) bw=4800 ;; *H100*NVL*) bw=3900 ;; *H100*PCIe*) bw=2000 ;; *H100*) bw=3350 ;;
    *A100*80GB*) bw=2039 ;; *A100*) bw=1555 ;; *L40S*|*L40*) bw=864 ;; *A10*) bw=600 ;; *L4*) bw=300 ;;
    *RTX\ 4090*) bw=1008 ;; *RTX\ 3090*) bw=936 ;; *) bw=0 ;;
  esac
fi
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p" "$2" | head -1; }
vocab=$here/shared/vocab/ggml-vocab-llama-spm.gguf
echo "== bench on $device (bandwidth ${bw} GB/s$([[ $bw == 0 ]] && echo ': unknown, set QB_BANDWIDTH_GBS'))"
bench=${QB_BENCH:---pp 512 --tg 128 -r 3}
echo "bench $bench, tok/s"
echo "| model | type | file MB | prefill tok/s | decode tok/s | decode GB/s | of bandwidth |"
echo "|---|---|---|---|---|---|---|"
row() { # label type file
  local j=$work/bench.json
  # shellcheck disable=SC2086
  if ! "$cli" bench "$3" $bench --json >"$j" 2>"$work/bench.err"; then
    echo "| $1 | $2 | bench failed: $(tail -1 "$work/bench.err") |||||"
    status=1
    return
  fi
  awk -v l="$1" -v t="$2" -v pp="$(field pp_tokens_per_second "$j")" -v tg="$(field tg_tokens_per_second "$j")" \
      -v w="$(field weights_bytes "$j")" -v bw="$bw" 'BEGIN {
        gbs = tg * w / 1e9
        share = (bw > 0) ? sprintf("%.0f%%", 100 * gbs / bw) : "n/a"
        printf "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s |\n", l, t, w / 1e6, pp, tg, gbs, share
      }'
}
row "stories260K (real weights)" F32 "$here/shared/models/stories260K.gguf"
row "stories260K (real weights)" "Q4_0 (llama.cpp's file)" "$here/shared/golden/stories260K-q4_0.llamacpp.gguf"
for size in ${QB_MODELS:-110m 1.1b}; do
  preset=llama-110m label="llama-110m (synthetic weights)"
  [[ $size == 1.1b ]] && preset=tinyllama-1.1b label="tinyllama-1.1b (synthetic weights)"
  f16=$work/$size-f16.gguf
  "$cli" synth --preset "$preset" --vocab-from "$vocab" --type F16 "$f16" >/dev/null 2>&1 || { echo "synth $preset failed" >&2; status=1; continue; }
  row "$label" F16 "$f16"
  for t in Q8_0 Q4_0 Q4_K_M; do
    "$cli" quantize "$f16" "$work/$size-$t.gguf" --type "$t" >/dev/null 2>&1 || { echo "quantize $t failed" >&2; status=1; continue; }
    row "$label" "$t" "$work/$size-$t.gguf"
    rm -f "$work/$size-$t.gguf"
  done
  rm -f "$f16"
done
exit $status
