#!/usr/bin/env bash
# Front-end and optimizer time against graph size: a `tam` block (30 primitive ops)
# repeated N times, elaborated and optimized at -O2 (`attend graph --optimized`, which stops
# before code generation), and the whole `attend check` (which also plans kernels and the
# arena). Near-linear growth is the expectation; the issue that prompted this (#13) measured
# 1.4/5.5/22.8/109 s for `check` at N = 100/200/400/800.
#   Benchmarks/check_scaling.sh [N ...]          (default: 100 200 400 800 1600)
#   ATTEND=.build/debug/attend Benchmarks/check_scaling.sh   (skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ATTEND:-}" ]; then
    swift build -c release >/dev/null
    ATTEND=.build/release/attend
fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 200 400 800 1600)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc; }
printf '%8s %8s %22s %14s\n' repeat ops "elaborate+optimize (s)" "check (s)"
for n in "${sizes[@]}"; do
    spec="$work/tam_$n.yaml"
    printf 'attend: 1\nname: tam_chain\ninputs: {x: [8, 8, 4, 4]}\nlayers:\n  - t: {op: tam, repeat: %s}\n' "$n" > "$spec"
    ops=$("$ATTEND" graph "$spec" --format text | grep -c " = ")
    optimize=$(seconds "$ATTEND" graph "$spec" --optimized --format text)
    check=$(seconds "$ATTEND" check "$spec")
    printf '%8s %8s %22.2f %14.2f\n' "$n" "$ops" "$optimize" "$check"
done
