#!/usr/bin/env python3
"""Models/detr.yaml at full size against Hugging Face transformers' DetrForObjectDetection
(the default DetrConfig: timm resnet50 backbone, 6 + 6 layers, d_model 256, 100 queries; 91
labels), random-init (nothing downloaded), its frozen BatchNorms given random statistics so
every term matters. Saves the HF state_dict unchanged as safetensors, runs `attend run` on
it with each backend, and prints the max abs difference of both outputs. Not part of the
committed fixtures (the weights are 166 MB); run by hand:

    python3 Tests/Fixtures/detr_full_size.py [--size 800] [--attend .build/release/attend] [--backends c,interpreter]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import DetrConfig, DetrForObjectDetection
from transformers.models.detr.modeling_detr import DetrFrozenBatchNorm2d

ROOT = Path(__file__).resolve().parents[2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=800)
    p.add_argument("--attend", default=str(ROOT / ".build/release/attend"))
    p.add_argument("--backends", default="c,interpreter")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    config = DetrConfig(use_timm_backbone=True, use_pretrained_backbone=False, backbone="resnet50", num_labels=91)
    model = DetrForObjectDetection(config).eval()
    with torch.no_grad():
        for bn in model.modules():
            if isinstance(bn, DetrFrozenBatchNorm2d):
                bn.weight.uniform_(0.7, 1.3)
                bn.bias.normal_(0, 0.2)
                bn.running_mean.normal_(0, 0.2)
                bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(1, 3, a.size, a.size)
    with torch.no_grad():
        out = model(pixel_values=x)
    reference = {"class_labels_classifier": out.logits.numpy(), "pred_boxes": out.pred_boxes.numpy()}
    n_params = sum(t.numel() for t in model.parameters())
    n_buffers = sum(t.numel() for t in model.buffers())
    print(f"HF DetrForObjectDetection: {n_params:,} parameters, {n_buffers:,} buffer elements, "
          f"transformers {__import__('transformers').__version__}, attention {model.config._attn_implementation}")

    with tempfile.TemporaryDirectory() as tmp:
        weights, image = f"{tmp}/detr.safetensors", f"{tmp}/x.npy"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
        np.save(image, x.numpy())
        sets = ["--set", f"height={a.size}", "--set", f"width={a.size}"]
        check = subprocess.run([a.attend, "check", str(ROOT / "Models/detr.yaml")] + sets, capture_output=True, text=True, check=True)
        print([line for line in check.stdout.splitlines() if line.startswith("parameters:")][0])
        for backend in a.backends.split(","):
            outputs = {k: f"{tmp}/{backend}_{k}.npy" for k in reference}
            command = [a.attend, "run", str(ROOT / "Models/detr.yaml"), *sets, "--backend", backend, "--threads", str(a.threads),
                       "--weights", weights, "--input", f"x={image}"] + [f"--output={k}={v}" for k, v in outputs.items()]
            start = time.time()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            seconds = time.time() - start
            for k, path in outputs.items():
                got, ref = np.load(path), reference[k]
                diff = np.abs(got - ref)
                ok = bool(np.all(diff <= 1e-4 + 1e-5 * np.abs(ref)))
                print(f"{a.size}x{a.size} {backend:11} {k:24} max|diff| {diff.max():.3g} (max|ref| {np.abs(ref).max():.3g}) "
                      f"{'within' if ok else 'NOT within'} 1e-4 + 1e-5|ref|  [{seconds:.1f} s]")
                if not ok:
                    sys.exit(1)


if __name__ == "__main__":
    main()
