#!/usr/bin/env bash
# Quick start 1/2: install what is missing, build Release into build/, start the GUI.
# Opens $QUANTBENCH_SAMPLE_MODEL, else ../shared/models/stories260K.gguf when present.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sample=${QUANTBENCH_SAMPLE_MODEL:-}
if [[ -z $sample ]]; then
  shared=${QUANTBENCH_SHARED:-../shared}
  [[ -f $shared/models/stories260K.gguf ]] && sample=$shared/models/stories260K.gguf
fi
if [[ -n $sample ]]; then exec build/bin/quantbench "$sample"; else exec build/bin/quantbench; fi
