#!/usr/bin/env bash
# Expert trajectories as a Slurm job array: each array task makes its share of the K experts into one
# content-addressed cache (DIR/<key>/expert-NNNNN.ddt). Re-submitting the same array is idempotent: experts
# that exist and verify are skipped, so only lost or corrupt ones are recomputed.
#
#   sbatch --array=0-3 pipelines/experts-slurm.sh                      # 4 tasks share K experts (k ≡ i mod 4)
#   sbatch --array=$(dd-expert mnist.ddt --experts 100 --epochs 50 --list-missing | paste -sd,) \
#          pipelines/experts-slurm.sh                                  # only what is missing; task id = expert
#
# Settings come from the environment (sbatch --export=ALL,EXPERTS=20,...):
#   TRAIN (mnist.ddt)  TEST (mnist: test split fetched by name)  EXPERTS (10)  EPOCHS (15)  ARCH (convnet)
#   OUT (experts)  SEED (0)  DD_BIN (directory holding dd-expert; default: PATH)  EXTRA (more flags)
#SBATCH --job-name=dd-expert
#SBATCH --output=dd-expert-%A_%a.log
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=24:00:00
set -euo pipefail
TRAIN="${TRAIN:-mnist.ddt}"
TEST="${TEST:-mnist}"
EXPERTS="${EXPERTS:-10}"
EPOCHS="${EPOCHS:-15}"
ARCH="${ARCH:-convnet}"
OUT="${OUT:-experts}"
SEED="${SEED:-0}"
DD_EXPERT="${DD_BIN:+$DD_BIN/}dd-expert"

# dd-expert reads SLURM_ARRAY_TASK_ID / _COUNT / _MIN / _MAX itself: a contiguous --array=0-(n-1) is shard
# i/n; any other array (e.g. from --list-missing) makes each task id one expert index. At the time limit
# Slurm sends SIGTERM: dd-expert stops at the next batch, removes its temp file and exits 75, keeping every
# finished expert; resubmitting continues.
exec "$DD_EXPERT" "$TRAIN" --test "$TEST" --experts "$EXPERTS" --epochs "$EPOCHS" --arch "$ARCH" \
  --out "$OUT" --seed "$SEED" --threads "${SLURM_CPUS_PER_TASK:-2}" ${EXTRA:-}
