"""Where the time goes, block by block: Attend's kernels against ONNX Runtime's nodes on the
same graph, weights and input, in one run. See Benchmarks/README.md.

    python3 Benchmarks/layers.py --models eca_resnet [--threads 1] [--batches 3] [--runs 30] [--depth 2]

Each model is prepared as `bench.py` prepares it (compiled, exported to ONNX with the same
seeded weights, the outputs checked against each other). Then batches alternate: the compiled
executable with `--bench RUNS --profile` (each kernel's median over the runs), and RUNS runs
of a profiling ORT session (each node's median over them). Kernels and nodes are grouped by
the first DEPTH dot-separated parts of their layer names (`layer3.1.conv2` -> `layer3.1`;
names with fewer parts go to `(top level)`, ORT's layout reorders to `(reorders)`), and each
group's time is the median over the batches of its per-batch sum. ORT's profiler adds a little
time per node; Attend's profile adds a clock read per kernel.
"""
import argparse
import collections
import json
import os
import re
import statistics
import sys
import tempfile

import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

KERNEL = re.compile(r"^  k\d+ +([\d.]+) +[\d.]+%  (.*)$")


def group(name, depth):
    """The block a kernel or node belongs to, from its layer name."""
    if name.startswith("Reorder"):
        return "(reorders)"
    layer = name.split(": ")[0].split("/")[0]
    layer = re.sub(r"_nchwc$", "", layer)
    parts = layer.split(".")
    return ".".join(parts[:depth]) if len(parts) > depth else "(top level)"


def attend_groups(model, threads, runs, depth):
    out = bench.sh(model.attend_command(threads, runs) + ["--profile"])
    sums = collections.Counter()
    for line in out.splitlines():
        match = KERNEL.match(line)
        if match:
            sums[group(match.group(2), depth)] += float(match.group(1))
    if not sums:
        raise RuntimeError("the compiled model printed no kernel profile:\n" + out)
    return sums


def ort_groups(model, threads, runs, depth, folder):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(folder, "ort_profile")
    session = ort.InferenceSession(model.onnx, options, providers=["CPUExecutionProvider"])
    session.run(None, model.feeds)  # warm-up
    for _ in range(runs):
        session.run(None, model.feeds)
    path = session.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    durations = collections.defaultdict(list)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            durations[event["name"][: -len("_kernel_time")]].append(event["dur"] / 1e3)
    sums = collections.Counter()
    for name, values in durations.items():
        # The warm-up run is the first of each node's events.
        sums[group(name, depth)] += statistics.median(values[1:] or values)
    return sums


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="eca_resnet", help="comma-separated names of Models/*.yaml (default eca_resnet)")
    parser.add_argument("--spec", action="append", default=[], metavar="FILE", help="a spec file to compare too (repeatable)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batches", type=int, default=3, help="alternating batches per runtime (default 3)")
    parser.add_argument("--runs", type=int, default=30, help="runs per batch (default 30)")
    parser.add_argument("--depth", type=int, default=2, help="dot-separated name parts that make a group (default 2)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="agreement needed before timing (default 1e-4)")
    parser.add_argument("--attend", help="the attend executable (default: swift build -c release, then .build/release/attend)")
    args = parser.parse_args()
    if args.batches < 1 or args.runs < 1 or args.depth < 1 or args.threads < 1:
        parser.error("--batches, --runs, --depth and --threads must be at least 1")
    attend = args.attend
    if not attend:
        bench.sh(["swift", "build", "-c", "release"])
        attend = os.path.join(bench.ROOT, ".build/release/attend")
    chosen = [(name, f"Models/{name}.yaml", []) for name in args.models.split(",") if name]
    chosen += [(os.path.splitext(os.path.basename(path))[0], os.path.abspath(path), []) for path in args.spec]
    failed = False
    with tempfile.TemporaryDirectory() as work:
        for name, spec, extra in chosen:
            model = bench.Prepared(name, spec, extra, attend, work, args.tolerance)
            if model.error:
                print(f"{name}: not timed: {model.error}")
                failed = True
                continue
            batches = {"attend": [], "ort": []}
            for _ in range(args.batches):
                batches["attend"].append(attend_groups(model, args.threads, args.runs, args.depth))
                batches["ort"].append(ort_groups(model, args.threads, args.runs, args.depth, model.folder))
            groups = list(dict.fromkeys(g for sums in batches["attend"] + batches["ort"] for g in sums))

            def median(runtime, key):
                return statistics.median(sums.get(key, 0.0) for sums in batches[runtime])

            print(f"{name}, {args.threads} thread{'s' if args.threads > 1 else ''}: median over {args.batches} batches "
                  f"of {args.runs} runs; ms per run")
            print("| group | Attend ms | ORT ms | Attend/ORT |")
            print("|---|---|---|---|")
            totals = [0.0, 0.0]
            for key in groups:
                a, o = median("attend", key), median("ort", key)
                totals[0] += a
                totals[1] += o
                ratio = f"{a / o:.2f}" if o > 0 else "-"
                print(f"| {key} | {a:.3f} | {o:.3f} | {ratio} |")
            print(f"| total | {totals[0]:.3f} | {totals[1]:.3f} | {totals[0] / totals[1]:.2f} |\n", flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
