"""Attend against ONNX Runtime (and PyTorch eager, when installed) on the same graph, weights
and input, in one run. See Benchmarks/README.md.

    python3 Benchmarks/bench.py [--models NAME,...] [--threads 1,2] [--batches 8] [--runs N]

For each model: `attend check` (FLOPs), `attend compile` (timed), `attend export --format onnx`
with the same seeded weights saved as safetensors; the compiled executable and ONNX Runtime
run the same random input and must agree (|a - b| <= tol * max(1, |b|)) before anything is
timed. Then, per thread count, short batches alternate A B A B ...: one batch is one process
of the compiled executable (`--bench RUNS`, after its own warm-up run) and RUNS calls of the
ORT session (warmed up once before the first batch). Each batch gives a median; the table
shows the median of the batch medians and their p10-p90 spread.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def models():
    """(name, spec file, extra attend arguments): every example network at its default size,
    then the standard blocks at representative sizes."""
    entries = []
    for file in sorted(os.listdir(os.path.join(ROOT, "Models"))):
        if file.endswith(".yaml"):
            entries.append((file[:-5], "Models/" + file, []))
    for block in ["se", "eca", "cbam", "global_context", "selective_kernel", "non_local"]:
        entries.append((block, f"Benchmarks/models/{block}.yaml", []))
    entries.append(("vit_block_384", "Models/vit_block.yaml", ["--set", "dim=384", "--set", "heads=6", "--set", "tokens=197"]))
    return entries


def sh(args, **kwargs):
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def percentile(values, q):
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fma_peak(work):
    """Single-core FP32 FMA peak in GFLOP/s, measured by Benchmarks/fma_peak.c on this machine."""
    binary = os.path.join(work, "fma_peak")
    compiler = os.environ.get("CC", "cc")
    sh([compiler, "-O2", "-march=native", "-o", binary, os.path.join(ROOT, "Benchmarks/fma_peak.c")])
    line = sh([binary]).strip()
    return float(re.search(r"GFLOP/s: ([\d.]+)", line).group(1)), line


def save_inputs(session, folder):
    rng = np.random.default_rng(0)
    feeds, arguments = {}, []
    for i, spec in enumerate(session.get_inputs()):
        value = rng.standard_normal(spec.shape).astype(np.float32)
        path = os.path.join(folder, f"input{i}.npy")
        np.save(path, value)
        feeds[spec.name] = value
        arguments += ["--input", f"{spec.name}={path}"]
    return feeds, arguments


def ort_session(path, threads):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


LATENCY = re.compile(r"latency ms: min ([\d.]+) median ([\d.]+) p90 ([\d.]+)")


class Prepared:
    """One model compiled, exported and checked."""

    def __init__(self, name, spec, extra, attend, work, tolerance):
        self.name = name
        self.folder = os.path.join(work, name)
        os.makedirs(self.folder, exist_ok=True)
        check = sh([attend, "check", spec] + extra)
        self.flops = int(re.search(r"FLOPs: ([\d,]+)", check).group(1).replace(",", ""))
        build = os.path.join(self.folder, "build")
        start = time.perf_counter()
        compiled = sh([attend, "compile", spec] + extra + ["-o", build])
        self.compile_seconds = time.perf_counter() - start
        self.executable = re.search(r"built (\S+) and", compiled).group(1)
        if not os.path.isabs(self.executable):
            self.executable = os.path.join(ROOT, self.executable)
        self.onnx = os.path.join(self.folder, "model.onnx")
        self.weights = os.path.join(self.folder, "weights.safetensors")
        sh([attend, "export", spec] + extra + ["--format", "onnx", "-o", self.onnx, "--save-weights", self.weights])
        session = ort_session(self.onnx, 1)
        self.feeds, self.input_arguments = save_inputs(session, self.folder)
        self.max_diff, self.error = self.compare(session, tolerance)

    def attend_command(self, threads, runs=None, outputs=()):
        command = [self.executable, "--weights", self.weights, "--threads", str(threads)] + self.input_arguments
        for name, path in outputs:
            command += ["--output", f"{name}={path}"]
        return command + (["--bench", str(runs)] if runs else [])

    def compare(self, session, tolerance):
        """Runs both once on the same input; returns (max abs diff, error or None)."""
        names = [o.name for o in session.get_outputs()]
        paths = [(name, os.path.join(self.folder, f"attend_output{i}.npy")) for i, name in enumerate(names)]
        sh(self.attend_command(1, outputs=paths))
        worst = 0.0
        for (name, path), theirs in zip(paths, session.run(names, self.feeds)):
            ours = np.load(path).astype(np.float64)
            theirs = theirs.astype(np.float64)
            if ours.shape != theirs.shape:
                return math.inf, f"output {name}: Attend shape {ours.shape}, ONNX Runtime {theirs.shape}"
            diff = np.abs(ours - theirs)
            worst = max(worst, float(diff.max()))
            if not np.all(diff <= tolerance * np.maximum(1.0, np.abs(theirs))) or not np.all(np.isfinite(ours)):
                return worst, f"output {name}: Attend and ONNX Runtime differ (max abs diff {worst:.3g} > tolerance {tolerance})"
        return worst, None


def attend_batch(model, threads, runs):
    out = sh(model.attend_command(threads, runs))
    return float(LATENCY.search(out).group(2))


def ort_batch(session, feeds, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure(model, threads, batches, runs, batch_seconds, warmup):
    session = ort_session(model.onnx, threads)
    estimate = math.inf
    for _ in range(max(warmup, 1)):
        start = time.perf_counter()
        session.run(None, model.feeds)
        estimate = min(estimate, time.perf_counter() - start)
    # Enough runs per batch that a batch takes about `batch_seconds` (at least 5), unless fixed.
    per_batch = runs or max(5, min(1000, round(batch_seconds / max(estimate, 1e-6))))
    medians = {"attend": [], "ort": []}
    for _ in range(batches):
        medians["attend"].append(attend_batch(model, threads, per_batch))
        medians["ort"].append(ort_batch(session, model.feeds, per_batch))
    return per_batch, medians


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [name for name, _, _ in models()]
    parser.add_argument("--models", help="comma-separated subset of: " + ", ".join(names))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--batches", type=int, default=8, help="alternating batches per runtime and thread count (default 8)")
    parser.add_argument("--runs", type=int, default=0, help="runs per batch (default: enough for about --batch-seconds)")
    parser.add_argument("--batch-seconds", type=float, default=0.3, help="target length of one batch (default 0.3)")
    parser.add_argument("--warmup", type=int, default=3, help="ORT warm-up runs before the first batch (default 3)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="agreement needed before timing (default 1e-4)")
    parser.add_argument("--attend", help="the attend executable (default: swift build -c release, then .build/release/attend)")
    parser.add_argument("--work", help="folder for builds and files (default: a temporary folder, removed after)")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--spec", action="append", default=[], metavar="FILE",
                        help="also benchmark this spec file (repeatable; with --models, only the named ones and these)")
    args = parser.parse_args()

    chosen = models()
    if args.models:
        wanted = args.models.split(",")
        unknown = [w for w in wanted if w not in names]
        if unknown:
            parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(names)}")
        chosen = [m for m in chosen if m[0] in wanted]
    if args.spec:
        missing = [path for path in args.spec if not os.path.isfile(path)]
        if missing:
            parser.error(f"no such spec file: {', '.join(missing)}")
        given = [(os.path.splitext(os.path.basename(path))[0], os.path.abspath(path), []) for path in args.spec]
        chosen = (chosen if args.models else []) + given
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.batches < 1 or any(t < 1 for t in thread_counts) or args.runs < 0:
        parser.error("--batches, --threads must be positive and --runs non-negative")

    attend = args.attend
    if not attend:
        sh(["swift", "build", "-c", "release", "--product", "attend"])
        attend = os.path.join(ROOT, ".build/release/attend")
    work = args.work or tempfile.mkdtemp(prefix="attend-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        run(args, chosen, thread_counts, attend, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def run(args, chosen, thread_counts, attend, work):
    peak, peak_line = fma_peak(work)
    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"machine: {machine()}")
    print(f"{peak_line} (single core; the %peak column uses threads x this)")
    print(f"onnxruntime {ort.__version__} (CPU provider, ORT_ENABLE_ALL, sequential, inter-op 1); numpy {np.__version__}; "
          f"python {platform.python_version()}")
    print("pytorch: " + ("not installed; no eager column" if not torch_available() else "installed, but no graph-to-torch path for these models yet; no eager column"))
    print(f"command: python3 Benchmarks/bench.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"batches: {args.batches} per runtime and thread count, alternating; "
          f"runs per batch: {args.runs or f'about {args.batch_seconds}s worth'}; times are medians of batch medians [p10-p90 of batch medians]")
    print()
    header = ["model", "GFLOP", "compile s", "threads", "runs", "Attend ms [p10-p90]", "ORT ms [p10-p90]",
              "Attend/ORT", "Attend GFLOP/s", "Attend %peak", "ORT GFLOP/s", "ORT %peak"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * len(header)) + "|")
    results, failed = [], False
    for name, spec, extra in chosen:
        try:
            model = Prepared(name, spec, extra, attend, work, args.tolerance)
        except RuntimeError as error:
            print(f"| {name} | error: {str(error).splitlines()[0]} |", flush=True)
            print(str(error), file=sys.stderr)
            failed = True
            continue
        gflop = model.flops / 1e9
        if model.error:
            print(f"| {name} | {gflop:.3f} | {model.compile_seconds:.1f} | - | - | not timed: {model.error} |", flush=True)
            failed = True
            continue
        for threads in thread_counts:
            per_batch, medians = measure(model, threads, args.batches, args.runs, args.batch_seconds, args.warmup)
            a, o = statistics.median(medians["attend"]), statistics.median(medians["ort"])

            def cell(values):
                return f"{statistics.median(values):.3f} [{percentile(values, 0.1):.3f}-{percentile(values, 0.9):.3f}]"

            def rate(ms):
                return gflop / (ms / 1e3)

            row = [name, f"{gflop:.3f}", f"{model.compile_seconds:.1f}", str(threads), f"{args.batches}x{per_batch}",
                   cell(medians["attend"]), cell(medians["ort"]), f"{a / o:.2f}",
                   f"{rate(a):.1f}", f"{100 * rate(a) / (peak * threads):.1f}%",
                   f"{rate(o):.1f}", f"{100 * rate(o) / (peak * threads):.1f}%"]
            print("| " + " | ".join(row) + " |", flush=True)
            results.append({"model": name, "gflop": gflop, "compile_seconds": model.compile_seconds, "threads": threads,
                            "runs_per_batch": per_batch, "max_abs_diff": model.max_diff,
                            "attend_batch_medians_ms": medians["attend"], "ort_batch_medians_ms": medians["ort"]})
    # Measured again at the end: a much higher value means the start was disturbed and the
    # %peak columns are overstated.
    print(f"\nafter the run: {fma_peak(work)[1]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"peak_gflops": peak, "results": results}, f, indent=1)
    if failed:
        sys.exit(1)


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
