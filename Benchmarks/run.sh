#!/usr/bin/env bash
# Latency of every example model: interpreter, C backend (1 and 2 threads), and PyTorch as
# a peer when a Python with torch and timm is given. Release build; medians of many runs.
#   Benchmarks/run.sh [PYTHON_WITH_TORCH]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
attend=.build/release/attend
for model in Models/*.yaml; do
    name=$(basename "$model" .yaml)
    echo "$name interpreter: $($attend bench "$model" --backend interpreter --runs 10)"
    echo "$name c (1 thread): $($attend bench "$model" --backend c --runs 50 --threads 1)"
    echo "$name c (2 threads): $($attend bench "$model" --backend c --runs 50 --threads 2)"
done
if [ $# -ge 1 ]; then
    "$1" Benchmarks/peer_pytorch.py --threads 1
    "$1" Benchmarks/peer_pytorch.py --threads 2
fi
