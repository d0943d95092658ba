#!/usr/bin/env bash
# Makes docs/images/*.png: starts the real app on an X server (Xvfb, the xcb
# platform — not offscreen) and drives it through the user guide's flow
# (`quantbench --tour`): open stories260K, quantize it to Q8_0, Q4_K_M and
# Q4_0, compare, chat A/B. Installs xvfb and xauth when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${QUANTBENCH_SHARED:-../shared}
model=${1:-$shared/models/stories260K.gguf}
[[ -f $model ]] || { echo "screenshots: $model: no such model (give one, or set QUANTBENCH_SHARED)" >&2; exit 2; }
if ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "screenshots: needs xvfb and xauth: apt-get install xvfb xauth" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
fi
[[ -x build/bin/quantbench ]] || scripts/build.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# a fresh settings/data folder: the pictures show defaults, not this user's state
export XDG_CONFIG_HOME=$out/config XDG_DATA_HOME=$out/data XDG_CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
export QT_QPA_PLATFORM=xcb
xvfb-run -a -s "-screen 0 1400x1000x24" build/bin/quantbench --tour "$out/images" "$model"
mkdir -p docs/images
for view in model quantize compare chat; do
  [[ -s $out/images/$view.png ]] || { echo "screenshots: the tour made no $view.png" >&2; exit 1; }
  cp "$out/images/$view.png" "docs/images/$view.png"
done
echo "screenshots: docs/images/{model,quantize,compare,chat}.png from $model"
