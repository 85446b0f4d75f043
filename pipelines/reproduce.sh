#!/usr/bin/env bash
# Every reproduction of issue 5 in sequence (docs/results.md): MNIST and Fashion-MNIST, IPC 1 and 10, every
# method, each through pipelines/distill.sh (≤ BUDGET seconds of distillation, dd-eval with NETS networks).
# Usage: pipelines/reproduce.sh [OUTDIR] [DATASET...]   e.g. pipelines/reproduce.sh out/repro mnist
#   IPCS="1 10 50" adds IPC 50 (default "1 10"); distill.sh's variables (BUDGET, NETS, THREADS, EVAL_AUG=dc
#   for DC's and the coresets' own protocol, ...) pass through.
# The full list takes days on a 2-core machine (28 runs × up to 60 min + evaluation; an IPC 50 evaluation alone
# is ≈ 115 min of a core, docs/results.md session 29); run subsets.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/repro}"; shift || true
datasets=("$@"); [ ${#datasets[@]} -gt 0 ] || datasets=(mnist fashion-mnist)
for dataset in "${datasets[@]}"; do
    for ipc in ${IPCS:-1 10}; do
        for method in random herding kcenter forgetting dm dc dsa; do
            pipelines/distill.sh "$dataset" "$method" "$ipc" "$out"
        done
    done
done
