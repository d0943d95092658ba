#!/usr/bin/env bash
# Packs what a GPU check needs into DIR, for an x86-64 Linux machine with a GPU
# and a Vulkan driver but no network and none of our Debian packages:
#   DIR/run.sh       lists the devices, runs the Vulkan tests, benches stories260K
#                    and synthetic 110M / 1.1B models (made there) in F16, Q8_0,
#                    Q4_0 and Q4_K_M, and prints tok/s with the share of the
#                    device's memory bandwidth the decode reaches
#   DIR/bin/         quantbench-cli and the Vulkan test binaries (stripped)
#   DIR/libs.tar.gz  the shared libraries they need that are not glibc's (from
#                    ldd, Qt and ICU included), the Vulkan loader and the Khronos
#                    validation layer (the tests run with it on); run.sh unpacks it
#   DIR/shared/      the test models and texts the Vulkan tests read
# At most 64 MiB. Usage: scripts/gpu-bundle.sh DIR   (DIR is replaced)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 1 ]] || { echo "usage: scripts/gpu-bundle.sh DIR" >&2; exit 2; }
out=$1
shared=${QUANTBENCH_SHARED:-../shared}
[[ -x build/bin/quantbench-cli && -x build/tests/test_vk_forward ]] || scripts/build.sh >/dev/null
rm -rf "$out"
mkdir -p "$out/bin" "$out/shared"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib/layers"

bins=(build/bin/quantbench-cli build/tests/test_vk_kernels build/tests/test_vk_attention build/tests/test_vk_forward)
for b in "${bins[@]}"; do
  strip -o "$out/bin/$(basename "$b")" "$b"
done
# every library ldd resolves, except glibc's own (the target has a glibc; ours must not shadow it)
glibc='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64)\.so'
ldd "${bins[@]}" | awk '/=> \//{print $3}' | sort -u | while read -r lib; do
  name=$(basename "$lib")
  [[ $name =~ $glibc ]] || cp -L "$lib" "$stage/lib/$name"
done
# loaded at run time, so ldd does not list them: the Vulkan loader and the validation layer
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$stage/lib/"
cp -L /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so "$stage/lib/layers/"
sed 's#"library_path": *"[^"]*"#"library_path": "./libVkLayer_khronos_validation.so"#' \
  /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json >"$stage/lib/layers/VkLayer_khronos_validation.json"
strip --strip-unneeded "$stage"/lib/*.so* "$stage"/lib/layers/*.so 2>/dev/null || true
tar -C "$stage" -czf "$out/libs.tar.gz" lib # gzip: on every Linux, even a minimal one

# what the Vulkan tests and the benches read from ../shared
for f in models/stories260K.gguf golden/stories260K-f16.llamacpp.gguf golden/stories260K-q8_0.llamacpp.gguf \
         golden/stories260K-q4_0.llamacpp.gguf text/tinystories_val.txt text/tinystories_sample.txt \
         vocab/ggml-vocab-llama-spm.gguf; do
  mkdir -p "$out/shared/$(dirname "$f")"
  cp "$shared/$f" "$out/shared/$f"
done
cp scripts/gpu-run.sh "$out/run.sh"
chmod +x "$out/run.sh"

bytes=$(du -sb "$out" | cut -f1)
limit=$((64 * 1024 * 1024))
printf 'gpu bundle: %s, %.1f MiB (limit 64 MiB)\n' "$out" "$(echo "$bytes / 1048576" | bc -l)"
if ((bytes > limit)); then
  echo "gpu bundle: $bytes bytes is over the 64 MiB limit" >&2
  exit 1
fi
