#!/usr/bin/env bash
# Trajectory matching end to end (issue 6, docs/mtt.md): fetch → dd-expert (cached; skipped when the experts
# exist) → dd-distill --method mtt|tesla → dd-eval with the learned step size. Not run in CI.
#
# Usage: pipelines/mtt.sh [OUTDIR]                      (default out/mtt)
# Environment (defaults in brackets):
#   DATASET [mnist]  METHOD [mtt] (or tesla)  IPC [10]  SEED [0]  THREADS [all cores]
#   EXPERTS [10] experts, EPOCHS [15] epochs each, cached in CACHE [OUTDIR/cache]
#   SYN_STEPS [20]  EXPERT_EPOCHS [2]  MAX_START [4]  ITERS [5000]  BUDGET [3600] dd-distill --time-budget (s)
#   NETS [5] evaluation networks    EVAL_EPOCHS [dd-eval's default]    NET [convnet]
#   INIT [real]  where the images start: real | noise | herding | kcenter | random (a coreset of the training
#          set, selected first; its selection time counts in BUDGET) | a set file (dd-distill --init-from)
#   EXTRA  more dd-distill flags, e.g. "--lr-img 1000 --lr-lr 1e-5 --lr-init 0.01 --batch-syn 100"
#   TAG    appended to the output names (OUTDIR/DATASET-METHOD-ipcN-TAG.*), e.g. for a hyper-parameter search
#   DD_DATA [/work/shared/datasets]  DD_BIN [release bin path]
# Writes OUTDIR/DATASET-METHOD-ipcN.{ddt,distill.log,eval.log,jsonl} and appends a line to OUTDIR/results.tsv:
#   dataset method ipc iterations_done distill_seconds syn_lr mean std nets extra
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/mtt}"
dataset="${DATASET:-mnist}"; method="${METHOD:-mtt}"; ipc="${IPC:-10}"; net="${NET:-convnet}"
cache="${CACHE:-$out/cache}"
. pipelines/lib.sh
use_tools mtt.sh dd-fetch dd-expert dd-distill dd-eval
eval_epochs=(); [ -n "${EVAL_EPOCHS:-}" ] && eval_epochs=(--epochs "$EVAL_EPOCHS")
mkdir -p "$out"
train="$out/$dataset-train.ddt"
[ -s "$train" ] || "$bin/dd-fetch" "$dataset" --offline -o "$train"

# Experts: dd-expert skips every expert whose file already verifies, so a re-run only fills gaps.
"$bin/dd-expert" "$train" --test "$dataset" --arch "$net" --experts "${EXPERTS:-10}" --epochs "${EPOCHS:-15}" \
    --seed "${SEED:-0}" "${threads[@]}" --out "$cache" 2> "$out/$dataset-experts.log"

name="$dataset-$method-ipc$ipc${TAG:+-$TAG}"
start=$SECONDS
budget="${BUDGET:-3600}"
init="${INIT:-real}"
case "$init" in
    real|noise) init_flags=(--init "$init") ;;
    herding|kcenter|random|forgetting)
        "$bin/dd-distill" "$train" --method "$init" --ipc "$ipc" --seed "${SEED:-0}" --net "$net" "${threads[@]}" \
            -o "$out/$name.init.ddt" 2> "$out/$name.init.log"
        init_flags=(--init-from "$out/$name.init.ddt")
        budget=$((budget - (SECONDS - start)))
        [ "$budget" -ge 1 ] || { echo "mtt.sh: the $init selection used all of BUDGET" >&2; exit 75; } ;;
    *) init_flags=(--init-from "$init") ;;
esac
# shellcheck disable=SC2086
"$bin/dd-distill" "$train" --method "$method" --experts "$cache" --net "$net" --ipc "$ipc" --seed "${SEED:-0}" \
    --syn-steps "${SYN_STEPS:-20}" --expert-epochs "${EXPERT_EPOCHS:-2}" --max-start-epoch "${MAX_START:-4}" \
    --iterations "${ITERS:-5000}" --time-budget "$budget" --checkpoint "$out/$name.ckpt" --every 25 \
    "${init_flags[@]}" "${threads[@]}" ${EXTRA:-} -o "$out/$name.ddt" 2> "$out/$name.distill.log"
distill_seconds=$((SECONDS - start))
rm -f "$out/$name.ckpt"
"$bin/dd-eval" "$out/$name.ddt" --test "$dataset" --offline --arch "$net" --lr-from-set --nets "${NETS:-5}" \
    "${eval_epochs[@]}" "${threads[@]}" --json "$out/$name.jsonl" 2> "$out/$name.eval.log"
results_line --syn-lr "$out/$name.ddt" "$out/$name.jsonl" "$dataset" "$method" "$ipc" "$distill_seconds" \
    "${EXTRA:-}${INIT:+ INIT=$INIT}" >> "$out/results.tsv"
tail -n 1 "$out/results.tsv" >&2
