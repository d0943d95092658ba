# Sourced by the bench scripts: repository root, the CLI (built if missing),
# ../shared, a scratch folder removed on exit, and a synthetic llama-110m F16
# model in it (synthetic weights, the llama-spm vocabulary).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cli=${QUANTBENCH_CLI:-build/bin/quantbench-cli}
shared=${QUANTBENCH_SHARED:-../shared}
[[ -x $cli ]] || scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" synth --preset llama-110m --vocab-from "$shared/vocab/ggml-vocab-llama-spm.gguf" --type F16 "$work/f16.gguf" >/dev/null 2>&1
