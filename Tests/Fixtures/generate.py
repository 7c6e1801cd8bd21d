#!/usr/bin/env python3
"""Regenerate the PyTorch reference fixtures in Tests/Fixtures/{ops,blocks,networks}/<case>/.

    python Tests/Fixtures/generate.py            # all cases
    python Tests/Fixtures/generate.py conv pool  # only cases whose kind/name contains a word
    python Tests/Fixtures/generate.py networks   # one group

Each case folder holds model.yaml (networks/: case.json), inputs.safetensors,
outputs.safetensors and (when the model has parameters) weights.safetensors. Output is
deterministic: reruns are byte-identical. See README.md for the environment.
"""
import shutil
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the fixtures folder

import torch  # noqa: E402

import importlib  # noqa: E402

import fixturelib  # noqa: E402

ROOT = Path(__file__).resolve().parent

# Every `*_cases.py` module beside this file registers its cases when imported.
for module in sorted(p.stem for p in ROOT.glob("*_cases*.py")):
    importlib.import_module(module)


def main(argv):
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    names = [f"{k}/{n}" for k, n, *_ in fixturelib.CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    selected = [c for c in fixturelib.CASES if not argv or any(w in f"{c[0]}/{c[1]}" for w in argv)]

    if not argv:  # full run: drop folders of cases that no longer exist
        for kind in sorted({k for k, *_ in fixturelib.CASES}):
            for d in sorted((ROOT / kind).glob("*")):
                if d.is_dir() and f"{kind}/{d.name}" not in names:
                    shutil.rmtree(d)

    rows = [fixturelib.write_case(ROOT, *c) for c in selected]
    w = max(len(r[0]) for r in rows)
    print(f"{'case':<{w}}  {'#weights':>8}  outputs")
    for name, n, outs in rows:
        print(f"{name:<{w}}  {n:>8}  {outs}")
    print(f"{len(rows)} cases written under {ROOT}")


if __name__ == "__main__":
    main(sys.argv[1:])
