# Shared by the pipeline scripts, which source it from the repository root after `set -euo pipefail`.

# use_tools SCRIPT TOOL...: exports DD_DATA (default /work/shared/datasets), sets `bin` to $DD_BIN (default:
# swift's release bin path) and `threads` to the dd-* flag for $THREADS (empty: all cores); exits 66 when a
# tool is not built there.
use_tools() {
    local script="$1" tool; shift
    export DD_DATA="${DD_DATA:-/work/shared/datasets}"
    bin="${DD_BIN:-$(swift build -c release --show-bin-path)}"
    for tool in "$@"; do
        [ -x "$bin/$tool" ] || { echo "$script: $bin/$tool missing; build the tools in release first" >&2; exit 66; }
    done
    threads=()
    if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
}

# results_line [--syn-lr] STREAM JSONL DATASET METHOD IPC SECONDS EXTRA: appends to results.tsv's format one
# line: dataset method ipc iterations_done seconds [syn_lr] mean std nets extra (accuracies in %, over the
# networks dd-eval trained on the set).
results_line() {
    python3 - "$@" <<'PY'
import json, sys
sys.path.insert(0, "python")
import ddt
args = sys.argv[1:]
with_syn_lr = args[0] == "--syn-lr"
stream, jsonl, dataset, method, ipc, seconds, extra = args[1:] if with_syn_lr else args
meta = ddt.load(stream)[1]["stream"]["method"]
accs = [json.loads(l) for l in open(jsonl) if l.strip()]
# Shards (dd-eval --shard/--index) append to one file; a network run twice counts once.
seen, nets = set(), []
for a in accs:
    key = (a.get("architecture"), a.get("index"), a.get("seed"))
    if a.get("type") == "network" and a.get("subject", "train") == "train" and key not in seen:
        seen.add(key); nets.append(a["accuracy"])
mean = sum(nets) / len(nets) if nets else float("nan")
std = (sum((a - mean) ** 2 for a in nets) / len(nets)) ** 0.5 if nets else float("nan")
syn_lr = [f"{meta.get('syn_lr', float('nan')):.6g}"] if with_syn_lr else []
print("\t".join([dataset, method, ipc, str(meta.get("iterations_done", "-")), seconds] + syn_lr
                + [f"{100 * mean:.2f}", f"{100 * std:.2f}", str(len(nets)), extra or "-"]))
PY
}
