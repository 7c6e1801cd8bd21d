#!/usr/bin/env bash
# Latency of every example model: the C backend unoptimized (-O0) and optimized (-O2) on 1
# and 2 threads, the interpreter for the single-block models, and PyTorch as a peer when a
# Python with torch and timm is given. Release build; medians of many runs.
#   Benchmarks/run.sh [PYTHON_WITH_TORCH]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
attend=.build/release/attend
for model in Models/*.yaml; do
    name=$(basename "$model" .yaml)
    case "$name" in
        se_resnet_block|cbam_bottleneck|vit_block)
            echo "$name interpreter: $($attend bench "$model" --backend interpreter --runs 10)";;
    esac
    for level in 0 2; do
        echo "$name c -O$level (1 thread): $($attend bench "$model" -O$level --backend c --runs 50 --threads 1)"
        echo "$name c -O$level (2 threads): $($attend bench "$model" -O$level --backend c --runs 50 --threads 2)"
    done
done
if [ $# -ge 1 ]; then
    "$1" Benchmarks/peer_pytorch.py --threads 1
    "$1" Benchmarks/peer_pytorch.py --threads 2
fi
