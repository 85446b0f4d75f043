#!/usr/bin/env bash
# The founding document's experiment (issue 7, docs/results-bias.md): Colored MNIST at several bias ratios,
# IPC 10, plain versus group-aware distillation (and KDE), each set evaluated on the unbiased test set by
# dd-eval (unbiased, worst-group, aligned / conflicting accuracy, DEO) and drawn as a grid; then the plots.
# Not run in CI.
#
# Usage: pipelines/bias-repro.sh [OUTDIR]                                    (default out/bias)
# Environment (defaults in brackets):
#   RATIOS   ["0.005 0.01 0.02 0.05 0.1"]   conflicting fraction of the training split
#   VARIANTS ["random dm dm-group dm-kde"]  METHOD[-group|-sum|-kde]: -group = --match-by group,
#            -sum = --group-loss sum (FairDD), -kde = --reweight kde; METHOD any dd-distill method
#   IPC [10]  SEED [0]  BUDGET [180] dd-distill --time-budget (s)  ITERS [method default]  THREADS [all cores]
#   NETS [5] evaluation networks  EVAL_EPOCHS [300]  DATA [OUTDIR/data] (made by pipelines/bias-data.sh)
#   EXTRA    more dd-distill flags for every variant, e.g. "--init real"
#   mtt / tesla variants first make experts of the ratio's training split in OUTDIR/experts (dd-expert; with
#   -group, --balance groups): EXPERTS [2] experts of EXPERT_EPOCHS [4] epochs; MTT_FLAGS ["--expert-epochs 2
#   --max-start-epoch 2"] are passed to dd-distill
#   DD_DATA [/work/shared/datasets]  DD_BIN [release bin path]
# Writes OUTDIR/VARIANT-rRATIO.{ddt,png,distill.log,eval.log}, OUTDIR/bias.jsonl (dd-eval lines tagged
# method=VARIANT ratio=RATIO), OUTDIR/{unbiased,worst-group,conflicting}.png and OUTDIR/table.md.
# Finished runs (OUTDIR/NAME.done) are skipped, so the script can be re-run after an interruption.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/bias}"
mkdir -p "$out"  # DATA may live elsewhere, so bias-data.sh does not always make it
. pipelines/lib.sh
use_tools bias-repro.sh dd-fetch dd-bias dd-distill dd-eval dd-render dd-expert
ratios="${RATIOS:-0.005 0.01 0.02 0.05 0.1}"
data="${DATA:-$out/data}"
RATIOS="$ratios" DD_BIN="$bin" pipelines/bias-data.sh "$data" 2> /dev/null
iters=(); [ -n "${ITERS:-}" ] && iters=(--iterations "$ITERS")
ipc="${IPC:-10}"; seed="${SEED:-0}"

for ratio in $ratios; do
    for variant in ${VARIANTS:-random dm dm-group dm-kde}; do
        name="$variant-r$ratio"
        [ -f "$out/$name.done" ] && continue
        method="${variant%%-*}"
        case "$variant" in
            *-group) extra=(--match-by group) ;;
            *-sum) extra=(--group-loss sum) ;;
            *-kde) extra=(--reweight kde) ;;
            *) extra=() ;;
        esac
        start=$SECONDS
        case "$method" in
            mtt|tesla)
                # Balanced experts for the group variant: its trajectories must not be the biased ones.
                balance=(); [[ "$variant" == *-group ]] && balance=(--balance groups)
                expert=("$bin/dd-expert" "$data/train-r$ratio.ddt" "${balance[@]}" --experts "${EXPERTS:-2}"
                        --epochs "${EXPERT_EPOCHS:-4}" --seed "$seed" "${threads[@]}" --out "$out/experts")
                "${expert[@]}" 2>> "$out/$name.expert.log"
                echo "$name: experts ready after $((SECONDS - start)) s" >&2
                # shellcheck disable=SC2206
                extra+=(--experts "$("${expert[@]}" --print-key)" ${MTT_FLAGS:---expert-epochs 2 --max-start-epoch 2})
                ;;
        esac
        # shellcheck disable=SC2086
        "$bin/dd-distill" "$data/train-r$ratio.ddt" --method "$method" --ipc "$ipc" --seed "$seed" \
            --time-budget "${BUDGET:-180}" "${iters[@]}" "${threads[@]}" "${extra[@]}" \
            ${EXTRA:-} --checkpoint "$out/$name.ckpt" --every 25 -o "$out/$name.ddt" 2> "$out/$name.distill.log"
        echo "$name: distilled in $((SECONDS - start)) s" >&2
        rm -f "$out/$name.ckpt"
        "$bin/dd-render" "$out/$name.ddt" --rows class --per-class "$ipc" --scale 2 -q \
            --title "$variant, bias ratio $ratio" -o "$out/$name.png"
        evalextra=(); case "$method" in mtt|tesla) evalextra=(--lr-from-set) ;; esac   # protocols.md §3.3
        "$bin/dd-eval" "$out/$name.ddt" --test "$data/test-unbiased.ddt" "${evalextra[@]}" --arch convnet --nets "${NETS:-5}" \
            --epochs "${EVAL_EPOCHS:-300}" --seed "$seed" "${threads[@]}" --tag "method=$variant" --tag "ratio=$ratio" \
            --json "$out/bias.jsonl" 2> "$out/$name.eval.log"
        touch "$out/$name.done"
        grep -E "convnet|groups:" "$out/$name.eval.log" | sed "s/^/$name: /" >&2 || true
    done
done

plot() {  # FIELD FILE LABEL
    "$bin/dd-render" --plot "$out/bias.jsonl" --where type=summary -x tags.ratio -y "$1" --series tags.method \
        --log-x --percent --x-label "bias-conflicting fraction" --y-label "$3 (%)" \
        --title "Colored MNIST, ConvNet-3, IPC $ipc" -o "$out/$2" -q
}
plot accuracy unbiased.png "unbiased test accuracy"
plot groups.worst_group worst-group.png "worst-group accuracy"
plot groups.conflicting conflicting.png "bias-conflicting accuracy"

python3 - "$out/bias.jsonl" > "$out/table.md" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") != "summary":
        continue
    rows[(r["tags"]["method"], float(r["tags"]["ratio"]))] = r  # a re-run replaces the earlier line
def cell(v):
    return "–" if not v or v.get("mean") is None else f"{100 * v['mean']:.2f} ± {100 * v['std']:.2f}"
def deo(v):
    return "–" if not v or v.get("mean") is None else f"{v['mean']:.1f}"
print("| method | ratio | unbiased | worst group | aligned | conflicting | DEO_M / DEO_A | nets |")
print("|---|---|---|---|---|---|---|---|")
for (method, ratio), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    g = r.get("groups", {})
    print(f"| {method} | {ratio:g} | {cell(r['accuracy'])} | {cell(g.get('worst_group'))} | {cell(g.get('aligned'))} | "
          f"{cell(g.get('conflicting'))} | {deo(g.get('deo_m'))} / {deo(g.get('deo_a'))} | {int(r['networks'])} |")
PY
cat "$out/table.md" >&2
