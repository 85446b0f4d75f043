#!/usr/bin/env bash
# One reproduction run: fetch the training split → dd-distill → dd-eval (standard protocol) → a results line.
# Usage: pipelines/distill.sh DATASET METHOD IPC [OUTDIR]
#   DATASET  mnist | fashion-mnist       METHOD  dc | dsa | dm | random | herding | kcenter | forgetting
# Environment:
#   BUDGET   dd-distill --time-budget in seconds (default 3600: the issue's 60-minute cap per run)
#   NETS     evaluation networks (default 5)          EPOCHS  dd-eval E (default: dd-eval's, 1000 with DSA)
#   SEED     distillation seed (default 0)            THREADS worker threads (default: all cores)
#   DD_DATA  dataset mirror (default /work/shared/datasets)   DD_BIN  tools directory (default: release bin path)
#   EXTRA    extra dd-distill flags (e.g. "--iterations 200" to cut the schedule; recorded in the results line)
#   TAG      appended to the output names (OUTDIR/DATASET-METHOD-ipcN-TAG.*)
# Writes OUTDIR/DATASET-METHOD-ipcN.{ddt,distill.log,eval.log,jsonl,png} and appends OUTDIR/results.tsv:
#   dataset method ipc iterations_done distill_seconds mean std nets extra
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="$1"; method="$2"; ipc="$3"; out="${4:-out/repro}"
. pipelines/lib.sh
use_tools distill.sh dd-fetch dd-distill dd-eval dd-render
epochs=(); [ -n "${EPOCHS:-}" ] && epochs=(--epochs "$EPOCHS")
mkdir -p "$out"
name="$dataset-$method-ipc$ipc${TAG:+-$TAG}"
train="$out/$dataset-train.ddt"
[ -s "$train" ] || "$bin/dd-fetch" "$dataset" --offline -o "$train"

# Evaluation augmentation follows the reference (protocols.md §3.1): DSA for DSA, DM and the coresets as
# dd-eval's default; DC's own MNIST `augment` policy is not implemented in dd-eval, so DC is evaluated with
# DSA as well (a recorded deviation).
start=$SECONDS
# shellcheck disable=SC2086
"$bin/dd-distill" "$train" --method "$method" --ipc "$ipc" --seed "${SEED:-0}" --time-budget "${BUDGET:-3600}" \
    --checkpoint "$out/$name.ckpt" --every 25 "${threads[@]}" ${EXTRA:-} -o "$out/$name.ddt" 2> "$out/$name.distill.log"
distill_seconds=$((SECONDS - start))
rm -f "$out/$name.ckpt"
"$bin/dd-render" "$out/$name.ddt" --per-class 10 --scale 2 -o "$out/$name.png"
"$bin/dd-eval" "$out/$name.ddt" --test "$dataset" --offline --arch convnet --nets "${NETS:-5}" "${epochs[@]}" \
    "${threads[@]}" --json "$out/$name.jsonl" 2> "$out/$name.eval.log"
results_line "$out/$name.ddt" "$out/$name.jsonl" "$dataset" "$method" "$ipc" "$distill_seconds" "${EXTRA:-}" \
    >> "$out/results.tsv"
tail -n 1 "$out/results.tsv" >&2
