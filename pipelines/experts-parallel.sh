#!/usr/bin/env bash
# Expert trajectories on one machine (or inside one Slurm allocation) with GNU parallel, or make -j when
# parallel is not installed. Every expert is its own job (--index k) writing its own file atomically, so jobs
# never conflict; a job log plus --resume skips jobs already done, and dd-expert itself skips any expert
# whose file verifies, so re-running the script only recomputes what is missing.
#
#   pipelines/experts-parallel.sh mnist.ddt 10 15 [JOBS]      # 10 experts × 15 epochs, JOBS at a time (2)
# Environment: TEST (mnist), ARCH (convnet), OUT (experts), SEED (0), DD_BIN (directory of dd-expert).
set -euo pipefail
train="${1:?usage: experts-parallel.sh TRAIN EXPERTS EPOCHS [JOBS]}"
experts="${2:?experts}"
epochs="${3:?epochs}"
jobs="${4:-2}"
bin="${DD_BIN:+$DD_BIN/}dd-expert"
args=("$train" --test "${TEST:-mnist}" --experts "$experts" --epochs "$epochs" --arch "${ARCH:-convnet}"
      --out "${OUT:-experts}" --seed "${SEED:-0}" --threads 1)
missing="$("$bin" "${args[@]}" --list-missing)"
[ -n "$missing" ] || { echo "experts-parallel.sh: all $experts experts present and verified" >&2; exit 0; }
if command -v parallel >/dev/null; then
  # One thread per job, JOBS jobs: the cores are shared by processes, not by BLAS threads.
  printf '%s\n' $missing | parallel -j "$jobs" --joblog "${OUT:-experts}.joblog" --resume --halt soon,fail=1 \
    "$bin" "${args[@]@Q}" --index {}
else
  # make -j: one target per expert; .DELETE_ON_ERROR is belt and braces (dd-expert never leaves a partial file).
  mk="$(mktemp)"
  trap 'rm -f "$mk"' EXIT
  {
    echo ".DELETE_ON_ERROR:"
    echo "all: $(printf 'expert-%s ' $missing)"
    for k in $missing; do
      printf 'expert-%s:\n\t%s %s --index %s\n' "$k" "$bin" "$(printf '%q ' "${args[@]}")" "$k"
    done
    echo ".PHONY: all $(printf 'expert-%s ' $missing)"
  } > "$mk"
  make -f "$mk" -j "$jobs"
fi
echo "experts-parallel.sh: $("$bin" "${args[@]}" --list-missing | wc -l) experts still missing" >&2
