#!/usr/bin/env bash
# Equal-budget comparison (issues 5 and 6): each method of METHODS distils DATASET at IPC under the same
# dd-distill --time-budget and is evaluated with the same dd-eval protocol (MTT/TESLA with their learned step
# size, as protocols.md §3.3 says); one line each in OUTDIR/results.tsv. Not run in CI.
#
# Usage: pipelines/equal-budget.sh DATASET IPC [OUTDIR]                      (default out/equal-budget)
# Environment (defaults in brackets):
#   METHODS ["mtt dm dsa"]  BUDGET [1200] seconds per method  NETS [5]  EPOCHS [dd-eval's default]
#   THREADS [all cores]  SEED [0]  CACHE [OUTDIR/cache] expert cache for mtt/tesla, filled by dd-expert with
#   EXPERTS [10] × EXPERT_TRAIN_EPOCHS [15] when missing; MTT_EXTRA: dd-distill flags for mtt/tesla only
#   DD_DATA, DD_BIN as in pipelines/lib.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="$1"; ipc="$2"; out="${3:-out/equal-budget}"
for method in ${METHODS:-mtt dm dsa}; do
    case "$method" in
        mtt|tesla)
            METHOD="$method" DATASET="$dataset" IPC="$ipc" BUDGET="${BUDGET:-1200}" CACHE="${CACHE:-$out/cache}" \
                EPOCHS="${EXPERT_TRAIN_EPOCHS:-15}" EVAL_EPOCHS="${EPOCHS:-}" EXTRA="${MTT_EXTRA:-}" \
                pipelines/mtt.sh "$out" ;;
        *)
            BUDGET="${BUDGET:-1200}" EXTRA="" pipelines/distill.sh "$dataset" "$method" "$ipc" "$out" ;;
    esac
done
column -t -s $'\t' "$out/results.tsv" >&2 || cat "$out/results.tsv" >&2
