"""Checks an ONNX file written by `attend export` against outputs of `attend run`.

    python3 onnx_check.py MODEL.onnx --input NAME=IN.npy ... --expect NAME=OUT.npy ... [--tolerance 1e-4]

Runs onnx.checker.check_model(full_check=True), then ONNX Runtime (CPU) on the inputs, and
compares each output with the expected one: |ort - attend| <= tol * max(1, |attend|).
Prints one line per output; exits 1 on any failure.
"""
import argparse
import sys

import numpy as np
import onnx
import onnxruntime as ort


def pairs(values):
    result = {}
    for value in values:
        name, _, path = value.partition("=")
        result[name] = np.load(path)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    onnx.checker.check_model(args.model, full_check=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    inputs, expected = pairs(args.input), pairs(args.expect)
    names = [o.name for o in session.get_outputs()]
    if sorted(names) != sorted(expected):
        print(f"outputs differ: ONNX has {names}, expected {sorted(expected)}")
        return 1
    failed = False
    for name, got in zip(names, session.run(names, inputs)):
        want = expected[name]
        if got.shape != want.shape:
            print(f"{name}: shape {got.shape}, expected {want.shape}")
            failed = True
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        bound = args.tolerance * np.maximum(1.0, np.abs(want.astype(np.float64)))
        worst = float(diff.max()) if diff.size else 0.0
        ok = bool(np.all(diff <= bound)) and bool(np.all(np.isfinite(got)))
        print(f"{name}: {'ok' if ok else 'MISMATCH'} shape {list(got.shape)} max abs diff {worst:.3g}")
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
