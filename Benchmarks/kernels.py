#!/usr/bin/env python3
"""Convolution kernels against the machine's FMA peak and against the direct lowering.

For each convolution shape of the ResNet family (batch 1, 224x224 networks) this compiles a
one-layer model twice, with the kernel strategies (`gemm`) and with every op's direct
lowering (`--direct-only`), checks that both executables give the same output on the same
weights and input, then times them interleaved (A B A B ...) and prints median latency,
GFLOP/s and the fraction of the single-core FP32 FMA peak that Benchmarks/fma_peak.c
measures on this machine.

fma_peak reports its best of 40 rounds, the least disturbed by neighbours on a shared host.
The `best` columns put each kernel the same way: its fastest run per round (median over the
rounds) against that peak. On hosts whose cores are shared (a busy SMT sibling slowed even an
L1-resident FMA loop here by up to 20% for seconds at a time), the median columns move with
the neighbours and the best columns much less.

    Benchmarks/kernels.py [--rounds 7] [--runs 20] [--threads 1] [--shapes NAME,...] [--no-direct]

Needs only Python 3 (standard library), a C compiler and a release build of attend.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (in channels, out channels, map size, kernel, stride, groups)
SHAPES = {
    "stem 7x7/2 3->64 @224": (3, 64, 224, 7, 2, 1),
    "3x3 64->64 @56": (64, 64, 56, 3, 1, 1),
    "3x3/2 64->128 @56": (64, 128, 56, 3, 2, 1),
    "3x3 128->128 @28": (128, 128, 28, 3, 1, 1),
    "3x3 256->256 @14": (256, 256, 14, 3, 1, 1),
    "3x3 512->512 @7": (512, 512, 7, 3, 1, 1),
    "1x1 64->256 @56": (64, 256, 56, 1, 1, 1),
    "1x1 256->64 @56": (256, 64, 56, 1, 1, 1),
    "1x1 512->128 @28": (512, 128, 28, 1, 1, 1),
    "1x1 1024->256 @14": (1024, 256, 14, 1, 1, 1),
    "1x1 2048->512 @7": (2048, 512, 7, 1, 1, 1),
    "1x1 1024->1024 @28 (GEMM 1024x784x1024)": (1024, 1024, 28, 1, 1, 1),
    "3x3 grouped(2) 128->128 @56": (128, 128, 56, 3, 1, 2),
}


def sh(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout


def fma_peak(work):
    binary = os.path.join(work, "fma_peak")
    sh([os.environ.get("CC", "cc"), "-O2", "-march=native", "-o", binary, os.path.join(ROOT, "Benchmarks/fma_peak.c")])
    out = sh([binary])
    match = re.search(r"GFLOP/s: ([0-9.]+)", out)
    if not match:
        sys.exit(f"error: cannot read the peak from fma_peak's output:\n{out}")
    return float(match.group(1))


def spec(name, shape):
    c, o, s, k, stride, groups = shape
    return "\n".join([
        "attend: 1", "name: conv",
        "inputs:", f"  x: [1, {c}, {s}, {s}]",
        "layers:",
        f"  - conv: {{op: conv2d, out: {o}, kernel: {k}, stride: {stride}, pad: {k // 2}, groups: {groups}, bias: true}}",
        "  - act: relu", ""])


def latency_ms(executable, weights, threads, runs):
    """(median, fastest) of `runs` timed runs, in ms."""
    out = sh([executable, "--weights", weights, "--threads", str(threads), "--bench", str(runs)])
    median, fastest = re.search(r"median ([0-9.]+)", out), re.search(r"min ([0-9.]+)", out)
    if not median or not fastest:
        sys.exit(f"error: no latency line from {executable}:\n{out}")
    return float(median.group(1)), float(fastest.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (the median is reported)")
    parser.add_argument("--runs", type=int, default=20, help="runs per round (the executable's --bench)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shapes", help="comma-separated substrings of shape names to run")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct lowering (it is slow)")
    args = parser.parse_args()
    attend = os.path.join(ROOT, ".build/release/attend")
    if not os.path.exists(attend):
        sys.exit("error: build attend first: swift build -c release")
    chosen = [n for n in SHAPES if not args.shapes or any(s.strip() in n for s in args.shapes.split(","))]
    with tempfile.TemporaryDirectory(prefix="attend-kernels-") as work:
        peak = fma_peak(work)
        print(f"single-core FP32 FMA peak: {peak:.1f} GFLOP/s (Benchmarks/fma_peak.c); {args.threads} thread(s); "
              f"median of {args.rounds} interleaved rounds of {args.runs} runs")
        print(f"| shape | GFLOP | strategy | ms | GFLOP/s | % of peak | best ms | best GFLOP/s | best % of peak "
              f"| direct ms | direct GFLOP/s | speedup |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for number, name in enumerate(chosen):
            path = os.path.join(work, "model.yaml")
            with open(path, "w") as f:
                f.write(spec(name, SHAPES[name]))
            flops = int(re.search(r"FLOPs: ([0-9,]+)", sh([attend, "check", path])).group(1).replace(",", ""))
            strategy = re.search(r"conv: conv2d (.*)", sh([attend, "check", path, "--kernels"])).group(1)
            weights, inp = os.path.join(work, "w.safetensors"), os.path.join(work, "x.npy")
            sh([attend, "run", path, "--save-weights", weights])
            c, _, s, _, _, _ = SHAPES[name]
            write_npy(inp, [1, c, s, s])
            variants = [("gemm", [])] + ([] if args.no_direct else [("direct", ["--direct-only"])])
            executables = {}
            for label, flags in variants:
                folder = os.path.join(work, f"{label}{number}")
                sh([attend, "compile", path, "-o", folder] + flags)
                stem = [f for f in os.listdir(folder) if f.endswith("_main.c")][0][:-len("_main.c")]
                executables[label] = os.path.join(folder, stem)
            # Same weights and random input: both must agree before timing.
            for label, exe in executables.items():
                sh([exe, "--weights", weights, "--input", f"x={inp}", "--output", outputs_path(work, label)])
            if not args.no_direct:
                agree = sh([sys.executable, "-c", AGREE, outputs_path(work, "gemm"), outputs_path(work, "direct")]).strip()
                if agree != "ok":
                    sys.exit(f"error: {name}: strategy and direct outputs differ: {agree}")
            times = {label: [] for label in executables}
            fastest = []
            for _ in range(args.rounds):
                for label, exe in executables.items():
                    median, best = latency_ms(exe, weights, args.threads, args.runs)
                    times[label].append(median)
                    if label == "gemm":
                        fastest.append(best)
            gemm, best = statistics.median(times["gemm"]), statistics.median(fastest)
            rate, best_rate = flops / gemm / 1e6, flops / best / 1e6
            row = [name, f"{flops / 1e9:.3f}", strategy, f"{gemm:.3f}", f"{rate:.0f}", f"{100 * rate / (peak * args.threads):.0f}%",
                   f"{best:.3f}", f"{best_rate:.0f}", f"{100 * best_rate / (peak * args.threads):.0f}%"]
            if args.no_direct:
                row += ["", "", ""]
            else:
                direct = statistics.median(times["direct"])
                row += [f"{direct:.3f}", f"{flops / direct / 1e6:.0f}", f"{direct / gemm:.1f}x"]
            print("| " + " | ".join(row) + " |", flush=True)


def write_npy(path, shape):
    """A float32 .npy of seeded uniform values in [-1, 1)."""
    import random
    import struct
    random.seed(1)
    count = 1
    for d in shape:
        count *= d
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % count, *(random.uniform(-1, 1) for _ in range(count))))


def outputs_path(work, label):
    return os.path.join(work, f"{label}.npy")


# Compares two .npy float32 files (standard library only): within 1e-4 + 1e-4 * |b|.
AGREE = r"""
import struct, sys, ast
def read(path):
    data = open(path, 'rb').read()
    length = struct.unpack('<H', data[8:10])[0]
    header = ast.literal_eval(data[10:10 + length].decode('latin1'))
    body = data[10 + length:]
    return struct.unpack('<%df' % (len(body) // 4), body)
a, b = read(sys.argv[1]), read(sys.argv[2])
if len(a) != len(b): print('sizes differ'); sys.exit()
bad = [i for i in range(len(a)) if not abs(a[i] - b[i]) <= 1e-4 + 1e-4 * abs(b[i])]
print('ok' if not bad else '%d of %d differ, first at %d: %r vs %r' % (len(bad), len(a), bad[0], a[bad[0]], b[bad[0]]))
"""

if __name__ == "__main__":
    main()
