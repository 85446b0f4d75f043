#!/usr/bin/env bash
# Every reproduction of issue 5 in sequence (docs/results.md): MNIST and Fashion-MNIST, IPC 1 and 10, every
# method, each through pipelines/distill.sh (≤ BUDGET seconds of distillation, dd-eval with NETS networks).
# Usage: pipelines/reproduce.sh [OUTDIR] [DATASET...]   e.g. pipelines/reproduce.sh out/repro mnist
# The full list takes days on a 2-core machine (20 runs × up to 60 min + evaluation); run subsets.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/repro}"; shift || true
datasets=("$@"); [ ${#datasets[@]} -gt 0 ] || datasets=(mnist fashion-mnist)
for dataset in "${datasets[@]}"; do
    for ipc in 1 10; do
        for method in random herding kcenter forgetting dm dc dsa; do
            pipelines/distill.sh "$dataset" "$method" "$ipc" "$out"
        done
    done
done
