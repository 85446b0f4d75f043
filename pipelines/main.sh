#!/usr/bin/env bash
# The main job on the embedded default dataset (Fashion-MNIST, shipped by Debian's dataset-fashion-mnist):
# fetch the training split → distil it with DM at 10 images per class under a wall-clock budget →
# evaluate the synthetic set with dd-eval's standard protocol → render grids of the real and synthetic sets.
# Usage: pipelines/main.sh [OUTDIR]   (default: out/)
# Environment: BUDGET (dd-distill seconds, default 240), NETS (evaluation networks, default 2),
#              EPOCHS (dd-eval E, default 300 to keep the job short; the reference protocol is 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
mkdir -p "$out"
bin="$(swift build -c release --show-bin-path)"
for tool in dd-fetch dd-distill dd-eval dd-render; do
    [ -x "$bin/$tool" ] || { echo "main.sh: $tool not built; run pipelines/setup.sh first" >&2; exit 66; }
done
"$bin/dd-fetch" fashion-mnist --split train -o "$out/fashion-mnist-train.ddt"
"$bin/dd-render" "$out/fashion-mnist-train.ddt" --per-class 10 --scale 2 -o "$out/fashion-mnist-grid.png"
"$bin/dd-distill" "$out/fashion-mnist-train.ddt" --method dm --ipc 10 --time-budget "${BUDGET:-240}" \
    --snapshots "$out/fashion-mnist-dm10-snapshots.ddt" --every 50 -o "$out/fashion-mnist-dm10.ddt"
"$bin/dd-eval" "$out/fashion-mnist-dm10.ddt" --test fashion-mnist --arch convnet --nets "${NETS:-2}" \
    --epochs "${EPOCHS:-300}" --json "$out/fashion-mnist-dm10-eval.jsonl"
"$bin/dd-render" "$out/fashion-mnist-dm10.ddt" --per-class 10 --scale 2 --title "DM, IPC 10" \
    -o "$out/fashion-mnist-dm10-grid.png"
echo "main.sh: wrote $out/fashion-mnist-{train.ddt,grid.png,dm10.ddt,dm10-grid.png,dm10-eval.jsonl}" >&2
