#!/usr/bin/env bash
# The main job on the embedded default dataset (Fashion-MNIST, shipped by Debian's dataset-fashion-mnist):
# fetch the training split into a dd stream and render a grid of its images.
# Usage: pipelines/main.sh [OUTDIR]   (default: out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
mkdir -p "$out"
bin="$(swift build -c release --show-bin-path)"
[ -x "$bin/dd-fetch" ] || { echo "main.sh: tools not built; run pipelines/setup.sh first" >&2; exit 66; }
"$bin/dd-fetch" fashion-mnist --split train -o "$out/fashion-mnist-train.ddt"
"$bin/dd-render" "$out/fashion-mnist-train.ddt" --per-class 10 --scale 2 -o "$out/fashion-mnist-grid.png"
echo "main.sh: wrote $out/fashion-mnist-train.ddt and $out/fashion-mnist-grid.png" >&2
