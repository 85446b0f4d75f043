#!/usr/bin/env bash
# dd-eval baseline runs recorded in docs/results.md (issue 4 "Done when"):
#   mnist-1epoch   full MNIST train, ConvNet-3, 1 pass, SGD 0.01 momentum 0.9 batch 256, no augmentation (issue 3)
#   mnist-full     full MNIST train, ConvNet-3, 10 passes (epochs 0…9), no augmentation          target ≥ 99.0 %
#   fmnist-full    full Fashion-MNIST train, ConvNet-3, 10 passes, no augmentation                target ≥ 90.5 %
#   mnist-random10 random 10-per-class MNIST subset, standard protocol (5 nets, DSA, 1000 epochs)  reference 95.1 ± 0.9
# Usage: pipelines/eval-baselines.sh [OUTDIR] [RUN...]   (default out/eval, all runs in sequence)
# Environment: DD_DATA (mirror with mnist/ and fashion-mnist/, default /work/shared/datasets),
#              DD_BIN (tools directory, default: swift's release bin path), THREADS (default: all cores),
#              NETS (networks for the full-data runs, default 1), RANDOM_NETS (default 5).
# Each run writes OUTDIR/RUN.log (stderr: per-network lines and the report) and appends OUTDIR/RUN.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/eval}"; shift || true
runs=("$@"); [ ${#runs[@]} -gt 0 ] || runs=(mnist-1epoch mnist-full fmnist-full mnist-random10)
. pipelines/lib.sh
use_tools eval-baselines.sh dd-eval dd-fetch
nets="${NETS:-1}"
mkdir -p "$out"

run() {   # run NAME: fetch TRAIN, evaluate, keep the log
    local name="$1"; shift
    echo "eval-baselines.sh: $name: $*" >&2
    local start=$SECONDS
    "$@" --json "$out/$name.jsonl" "${threads[@]}" 2> "$out/$name.log"
    echo "eval-baselines.sh: $name done in $((SECONDS - start)) s on $(nproc) cores ($(uname -m)); see $out/$name.log" >&2
}

for r in "${runs[@]}"; do
    case "$r" in
    mnist-1epoch)
        "$bin/dd-fetch" mnist --offline -o "$out/mnist-train.ddt"
        run "$r" "$bin/dd-eval" "$out/mnist-train.ddt" --test mnist --offline --arch convnet --nets "$nets" \
            --aug none --epochs 0 --schedule constant --lr 0.01 --momentum 0.9 --batch 256 ;;
    mnist-full)
        "$bin/dd-fetch" mnist --offline -o "$out/mnist-train.ddt"
        run "$r" "$bin/dd-eval" "$out/mnist-train.ddt" --test mnist --offline --arch convnet --nets "$nets" --aug none --epochs 9 ;;
    fmnist-full)
        "$bin/dd-fetch" fashion-mnist --offline -o "$out/fmnist-train.ddt"
        run "$r" "$bin/dd-eval" "$out/fmnist-train.ddt" --test fashion-mnist --offline --arch convnet --nets "$nets" --aug none --epochs 9 ;;
    mnist-random10)
        "$bin/dd-fetch" mnist --offline --per-class 10 --seed 0 -o "$out/mnist-random10.ddt"
        run "$r" "$bin/dd-eval" "$out/mnist-random10.ddt" --test mnist --offline --arch convnet --nets "${RANDOM_NETS:-5}" ;;
    *) echo "eval-baselines.sh: unknown run $r (mnist-1epoch, mnist-full, fmnist-full, mnist-random10)" >&2; exit 64 ;;
    esac
done
