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
#   EVAL_AUG dd-eval --aug: dsa (default) | dc (DC's own protocol) | none
#   INIT     where DC/DSA/DM images start: dd-distill's default (unset) | real | noise | herding | kcenter | random
#            | forgetting (a coreset of the training set, selected first; its selection time counts in BUDGET)
#            | a set file (--init-from)
#   EVAL_SELECT  dd-eval network selection, e.g. "--shard 0/2" or "--index 3,4": run the evaluation's networks in
#            several processes (cores, sessions); each appends its network lines to the same OUTDIR/*.jsonl
#   EVAL_ONLY=1  skip distillation and evaluate the OUTDIR/DATASET-METHOD-ipcN.ddt an earlier call wrote (the
#            results line's seconds are the set's wall_seconds; "-" for coresets, which do not record it)
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

if [ -n "${EVAL_ONLY:-}" ]; then
    [ -s "$out/$name.ddt" ] || { echo "distill.sh: EVAL_ONLY=1 needs $out/$name.ddt from an earlier call" >&2; exit 66; }
    distill_seconds=$(python3 -c 'import sys; sys.path.insert(0, "python"); import ddt
w = ddt.load(sys.argv[1])[1]["stream"]["method"].get("wall_seconds")
print("-" if w is None else round(w))' "$out/$name.ddt")
else
    start=$SECONDS
    budget="${BUDGET:-3600}"
    init_flags=()
    case "${INIT:-}" in
        "") ;;
        real|noise) init_flags=(--init "$INIT") ;;
        herding|kcenter|random|forgetting)
            "$bin/dd-distill" "$train" --method "$INIT" --ipc "$ipc" --seed "${SEED:-0}" "${threads[@]}" \
                -o "$out/$name.init.ddt" 2> "$out/$name.init.log"
            init_flags=(--init-from "$out/$name.init.ddt")
            budget=$((budget - (SECONDS - start)))
            [ "$budget" -ge 1 ] || { echo "distill.sh: the $INIT selection used all of BUDGET" >&2; exit 75; } ;;
        *) init_flags=(--init-from "$INIT") ;;
    esac
    # shellcheck disable=SC2086
    "$bin/dd-distill" "$train" --method "$method" --ipc "$ipc" --seed "${SEED:-0}" --time-budget "$budget" \
        --checkpoint "$out/$name.ckpt" --every 25 "${init_flags[@]}" "${threads[@]}" ${EXTRA:-} -o "$out/$name.ddt" \
        2> "$out/$name.distill.log"
    distill_seconds=$((SECONDS - start))
    rm -f "$out/$name.ckpt"
    "$bin/dd-render" "$out/$name.ddt" --per-class 10 --scale 2 -o "$out/$name.png"
fi
# Evaluation augmentation: EVAL_AUG (default dsa, dd-eval's default, which every recorded run used). The
# reference (protocols.md §3.1-3.2) trains DC's and the coresets' evaluation networks with DC's own `augment`
# instead: EVAL_AUG=dc (crop_scale_rotate and E 1000 on MNIST; none and E 300 on Fashion-MNIST).
# A selection (EVAL_SELECT) gets its own log, so shards running side by side keep theirs.
log_suffix=""
[ -n "${EVAL_SELECT:-}" ] && log_suffix=".$(printf %s "$EVAL_SELECT" | tr -cs 'a-z0-9' '-' | sed 's/^-*//; s/-*$//')"
# shellcheck disable=SC2086
"$bin/dd-eval" "$out/$name.ddt" --test "$dataset" --offline --arch convnet --nets "${NETS:-5}" "${epochs[@]}" \
    --aug "${EVAL_AUG:-dsa}" ${EVAL_SELECT:-} \
    "${threads[@]}" --json "$out/$name.jsonl" 2> "$out/$name.eval$log_suffix.log"
results_line "$out/$name.ddt" "$out/$name.jsonl" "$dataset" "$method" "$ipc" "$distill_seconds" \
    "${EXTRA:-}${INIT:+ INIT=$INIT}" \
    >> "$out/results.tsv"
tail -n 1 "$out/results.tsv" >&2
