#!/usr/bin/env bash
# The biased-data sets of issue 7 in one directory: Colored-MNIST training splits at the founding document's
# bias ratios (45,000 images each), the validation split (5,000) at each ratio, and the two test sets
# (colours uniform per class = unbiased; every image in another colour than its class's = conflicting-only).
# Usage: pipelines/bias-data.sh [OUTDIR]
# Environment:
#   RATIOS   bias ratios = conflicting fractions (default "0.005 0.01 0.02 0.05 0.1")
#   KIND     color-digit (default; MNIST) or color-background (use DATASET=fashion-mnist)
#   DATASET  grayscale source (default mnist)       SEED  dd-bias --seed (default 0): the split and colours
#   DD_DATA  dataset mirror (default /work/shared/datasets)   DD_BIN  tools directory (default: release bin path)
# Writes OUTDIR/{train,val}-r<RATIO>.ddt, test-unbiased.ddt, test-conflicting.ddt, grid-train-r0.05.png,
# grid-test-unbiased.png. Existing files are kept (delete them to rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/bias-data}"
. pipelines/lib.sh
use_tools bias-data.sh dd-fetch dd-bias dd-render
dataset="${DATASET:-mnist}"; kind="${KIND:-color-digit}"; seed="${SEED:-0}"
mkdir -p "$out"
grey="$out/$dataset-train.ddt"; grey_test="$out/$dataset-test.ddt"
[ -s "$grey" ] || "$bin/dd-fetch" "$dataset" --offline -o "$grey"
[ -s "$grey_test" ] || "$bin/dd-fetch" "$dataset" --split test --offline -o "$grey_test"
# One --seed for every ratio: the same 45,000 / 5,000 images, disjoint, coloured at each ratio.
for ratio in ${RATIOS:-0.005 0.01 0.02 0.05 0.1}; do
    for split in train val; do
        target="$out/$split-r$ratio.ddt"
        [ -s "$target" ] || "$bin/dd-bias" "$grey" --kind "$kind" --bias-ratio "$ratio" --split "$split" \
            --seed "$seed" -q -o "$target"
    done
done
[ -s "$out/test-unbiased.ddt" ] || "$bin/dd-bias" "$grey_test" --kind "$kind" --bias-ratio 0.9 --seed "$seed" -q \
    -o "$out/test-unbiased.ddt"
[ -s "$out/test-conflicting.ddt" ] || "$bin/dd-bias" "$grey_test" --kind "$kind" --conflicting-only --seed "$seed" -q \
    -o "$out/test-conflicting.ddt"
first_ratio="$(echo ${RATIOS:-0.05} | awk '{print $1}')"
[ -f "$out/train-r0.05.ddt" ] && first_ratio=0.05
"$bin/dd-render" "$out/train-r$first_ratio.ddt" --rows class --per-class 10 --scale 2 -q \
    --title "$kind, bias ratio $first_ratio" -o "$out/grid-train-r$first_ratio.png"
"$bin/dd-render" "$out/test-unbiased.ddt" --rows class --per-class 10 --scale 2 -q \
    --title "$kind, unbiased test" -o "$out/grid-test-unbiased.png"
ls -l "$out" >&2
