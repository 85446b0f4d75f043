#!/usr/bin/env bash
# Installs Debian's slurm-wlm and munge, configures this machine as a one-node Slurm cluster (slurmctld +
# slurmd, no systemd needed), and submits the dd-expert job array through sbatch, waiting for it.
# Not part of CI: it needs root, installs packages and starts daemons.
#
#   pipelines/slurm-local.sh TRAIN EXPERTS EPOCHS [ARRAY]      # e.g. mnist.ddt 2 15 0-1
# Environment passed to the tasks: TEST, ARCH, OUT (absolute paths are safest), SEED, DD_BIN (default:
# the release build directory of this checkout).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
train="$(realpath "${1:?usage: slurm-local.sh TRAIN EXPERTS EPOCHS [ARRAY]}")"
experts="${2:?experts}"
epochs="${3:?epochs}"
array="${4:-0-$((experts - 1))}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
$SUDO mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/munge
$SUDO tee /etc/slurm/slurm.conf >/dev/null <<CONF
# One-node cluster written by dd's pipelines/slurm-local.sh
ClusterName=dd
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key, then the daemon (no systemd in containers).
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO mkdir -p /etc/munge
  $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
$SUDO chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
$SUDO chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || $SUDO -u munge /usr/sbin/munged 2>/dev/null || $SUDO /usr/sbin/munged --force
pgrep -x slurmctld >/dev/null || $SUDO slurmctld
pgrep -x slurmd >/dev/null || $SUDO slurmd
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed|alloc' && break; sleep 1; done
sinfo
$SUDO scontrol update nodename="$host" state=resume 2>/dev/null || true

export TRAIN="$train" EXPERTS="$experts" EPOCHS="$epochs"
export DD_BIN="${DD_BIN:-$(cd "$here" && swift build -c release --show-bin-path)}"
export OUT="${OUT:-$here/experts}"
start=$(date +%s)
# --wait: sbatch returns when every task has ended, with a non-zero status if one failed.
mkdir -p "$OUT"
cd "$here"
sbatch --wait --array="$array" --cpus-per-task=1 --mem=3G --export=ALL --output="$OUT/slurm-%A_%a.log" \
  pipelines/experts-slurm.sh
echo "slurm-local.sh: array $array finished in $(( $(date +%s) - start )) s; missing now:" \
  "$("$DD_BIN/dd-expert" "$TRAIN" --test "${TEST:-mnist}" --experts "$experts" --epochs "$epochs" \
      --arch "${ARCH:-convnet}" --out "$OUT" --seed "${SEED:-0}" --list-missing | paste -sd, -)" >&2
