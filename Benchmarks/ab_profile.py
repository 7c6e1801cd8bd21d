"""Two builds of one model, kernel by kernel: which layers a change made faster or slower, in
the network itself. See Benchmarks/README.md.

    python3 Benchmarks/ab_profile.py --weights W.safetensors A/NAME B/NAME [--rounds 10] [--runs 10] [--match REGEX]

A and B are compiled executables of the same model (two `attend compile` outputs, say before
and after a change). Rounds alternate A B A B ...; each is one process with
`--bench RUNS --profile`, so both see the same load on a busy host. Per layer, the table
gives the median over rounds of each build's per-kernel median and B/A; the first line sums
the layers whose kernel names match REGEX (default: all) per round. Layers are matched by
name, so a change of strategy or tiling is compared too. Standard library only.
"""
import argparse
import collections
import re
import statistics
import subprocess
import sys

KERNEL = re.compile(r"^  k\d+ +([\d.]+) +[\d.]+%  (.*)$")


def profile(executable, weights, threads, runs):
    """{layer: ms} from one `--bench RUNS --profile` process."""
    command = [executable, "--threads", str(threads), "--bench", str(runs), "--profile"] + (["--weights", weights] if weights else [])
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        sys.exit(f"cannot run {executable}: {error.strerror}")
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    kernels = {}
    for line in result.stdout.splitlines():
        match = KERNEL.match(line)
        if match:
            kernels[match.group(2)] = float(match.group(1))
    if not kernels:
        sys.exit(f"{executable} printed no kernel profile (built before --profile existed?)")
    return kernels


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="the baseline executable")
    parser.add_argument("b", help="the executable to compare")
    parser.add_argument("--weights", help="safetensors weights both load")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--runs", type=int, default=10, help="runs per process (default 10)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--match", default="", help="regex over kernel names for the summed line (default: all)")
    parser.add_argument("--min-ms", type=float, default=0.0, help="list only layers at least this slow in A (default 0)")
    args = parser.parse_args()
    if args.rounds < 1 or args.runs < 1 or args.threads < 1:
        parser.error("--rounds, --runs and --threads must be at least 1")
    pattern = re.compile(args.match)
    times = {"a": collections.defaultdict(list), "b": collections.defaultdict(list)}
    sums = {"a": [], "b": []}
    for _ in range(args.rounds):
        for side, executable in (("a", args.a), ("b", args.b)):
            kernels = profile(executable, args.weights, args.threads, args.runs)
            total = 0.0
            for name, ms in kernels.items():
                times[side][name.split(": ")[0]].append(ms)
                if pattern.search(name):
                    total += ms
            sums[side].append(total)
    a, b = statistics.median(sums["a"]), statistics.median(sums["b"])
    print(f"kernels matching '{args.match}', summed per round, median of {args.rounds}: "
          f"A {a:.3f} ms, B {b:.3f} ms, B/A {b / a if a > 0 else float('nan'):.3f}")
    print("| layer | A ms | B ms | B/A |")
    print("|---|---|---|---|")
    for layer, values in times["a"].items():
        if layer not in times["b"]:
            continue
        x, y = statistics.median(values), statistics.median(times["b"][layer])
        if x >= args.min_ms:
            print(f"| {layer} | {x:.3f} | {y:.3f} | {y / x if x > 0 else float('nan'):.2f} |")
    missing = sorted(set(times["a"]) ^ set(times["b"]))
    if missing:
        print("layers in only one build: " + ", ".join(missing))


if __name__ == "__main__":
    main()
