#!/usr/bin/env bash
# One-time setup on a fresh Debian machine: system packages, a release build, and where the tools are.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  libopenblas-dev zlib1g-dev pkg-config dataset-fashion-mnist pngcheck python3-numpy >/dev/null
swift build -c release 2>&1 | tail -n 1
bin="$(swift build -c release --show-bin-path)"
echo "dd tools built in $bin"
echo "add them to PATH with:  export PATH=\"$bin:\$PATH\""
