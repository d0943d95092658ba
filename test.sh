#!/usr/bin/env bash
# Quick start 2/2: install what is missing, build, run every test headless.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
# fuzz smoke: the regression inputs replayed, then seconds per reader on the checked-in corpus (ASan + UBSan)
scripts/fuzz.sh --smoke
