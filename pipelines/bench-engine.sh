#!/usr/bin/env bash
# Engine benchmark (issue 3, docs/performance.md "Engine"): builds dd-bench in release and runs every
# workload twice in one go — with the environment as set (OPENBLAS_CORETYPE=Haswell here) and with
# OpenBLAS's own kernel detection (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only) —
# then prints both runs side by side with the ratios against PyTorch 2.15 CPU.
#
# Usage: pipelines/bench-engine.sh [OUTDIR] [REPEAT]   (defaults: out/bench, 3)
#   env: DD_BENCH_THREADS (default 2), DD_DATA (MNIST mirror; real images are used when found)
#
# The machine may be shared: the load average is printed before each run and recorded in the JSON lines;
# compare wall time with the CPU-seconds column before drawing conclusions from a loaded run.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/bench}"
repeat="${2:-3}"
threads="${DD_BENCH_THREADS:-2}"
scratch="${DD_BENCH_SCRATCH:-.build-bench}"
mkdir -p "$out"

swift build -c release --scratch-path "$scratch" --product dd-bench >&2
bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/dd-bench"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
as_set="$out/engine-$stamp-as-set.jsonl"
detected="$out/engine-$stamp-detected.jsonl"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== run 1: environment as set (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" --workload all --repeat "$repeat" --threads "$threads" --real --json "$as_set"

echo
echo "== run 2: OpenBLAS's own detection (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    "$bench" --workload all --repeat "$repeat" --threads "$threads" --real --json "$detected"

echo
echo "== side by side (targets: ≥ 2× PyTorch as set, ≥ 3.5× with OpenBLAS's detection); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" --compare "$as_set" "$detected"
echo
echo "JSON lines: $as_set $detected"
