#!/usr/bin/env python3
"""Full-size check of an example network against its PyTorch reference, once, outside the test
suite (the weights would be too large to commit): builds the reference of
network_cases_irse_sagan.py at the model file's default params with the fixtures' seeded
initialization, runs `attend run` with its state_dict and input through both backends, and
prints the parameter counts and the largest differences.

    python3 Tests/Fixtures/full_size.py ir_se_50 [--attend .build/release/attend]
    python3 Tests/Fixtures/full_size.py sagan
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import fixturelib  # noqa: E402
from network_cases import _calibrate  # noqa: E402
from network_cases_irse_sagan import SEModule, Backbone, Generator, trained_like  # noqa: E402


def build(name):
    torch.manual_seed(0)
    if name == "ir_se_50":
        # BatchNorm1d's statistics come from 8 faces (2 would make some variances tiny).
        faces = fixturelib.make_input([8, 3, 112, 112], ("offset", 1.0))
        x = faces[:2].clone()
        m = Backbone([112, 112])
        fixturelib.init_module(m)
        m.eval()
        _calibrate(m, faces, revive=[s.fc1 for s in m.modules() if isinstance(s, SEModule)])
        return m, {"x": x}, (lambda: m(x)), ["--set", "batch=2"]
    if name == "sagan":
        z = torch.randn(2, 128)
        m = Generator(2, 64, 128, 64)
        fixturelib.init_module(m)
        m.eval()
        trained_like(m)
        _calibrate(m, z, revive=())
        return m, {"z": z}, (lambda: m(z)[0]), ["--set", "batch=2"]
    raise SystemExit(f"unknown network {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("network", choices=["ir_se_50", "sagan"])
    parser.add_argument("--attend", default=str(fixturelib.REPO / ".build/release/attend"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    with torch.no_grad():
        m, inputs, run, sets = build(args.network)
        expected = run().numpy()
    print(f"{args.network}: PyTorch parameters {sum(p.numel() for p in m.parameters()):,}")
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.safetensors"
        save_file({k: v.contiguous() for k, v in m.state_dict().items()}, str(weights))
        command = [args.attend, "run", str(fixturelib.REPO / f"Models/{args.network}.yaml"), *sets, "--weights", str(weights)]
        for k, v in inputs.items():
            np.save(Path(tmp) / f"{k}.npy", v.numpy())
            command += ["--input", f"{k}={Path(tmp) / f'{k}.npy'}"]
        check = subprocess.run([args.attend, "check", str(fixturelib.REPO / f"Models/{args.network}.yaml")],
                               capture_output=True, text=True, check=True).stdout
        print("attend check:", next(l for l in check.splitlines() if l.startswith("parameters:")))
        for backend in ["c", "interpreter"]:
            out = Path(tmp) / f"{backend}.npy"
            subprocess.run(command + ["--backend", backend, "--output", str(out)], check=True, capture_output=True)
            got = np.load(out)
            diff = np.abs(got - expected)
            bad = int((diff > 1e-4 + 1e-5 * np.abs(expected)).sum())
            print(f"{backend:12s} output {list(got.shape)}: max abs diff {diff.max():.3g} (max |PyTorch| "
                  f"{np.abs(expected).max():.3g}), {bad} elements outside 1e-4 + 1e-5 |x|")


if __name__ == "__main__":
    main()
