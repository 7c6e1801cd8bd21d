"""PyTorch peer latencies for the example models in Models/, at their default sizes.

Run with a venv that has torch and timm (see Tests/Fixtures/README.md):
    python Benchmarks/peer_pytorch.py [--threads 1] [--runs 50]
Prints the same line format as `attend bench`: latency ms: min / median / p90.
"""
import argparse
import functools
import time

import torch
import timm
import timm.layers
from timm.models.resnet import BasicBlock, Bottleneck
from timm.models.vision_transformer import Block


def models():
    # The timm modules the YAML files reproduce, with the YAML files' default params.
    yield "cbam_bottleneck", Bottleneck(256, 64, attn_layer="cbam"), (1, 256, 28, 28)
    yield "se_resnet_block", BasicBlock(64, 64, attn_layer="se"), (1, 64, 56, 56)
    norm = functools.partial(torch.nn.LayerNorm, eps=1e-6)
    yield "vit_block", Block(192, 3, qkv_bias=True, norm_layer=norm), (1, 197, 192)
    # Whole networks at the model files' defaults (224 x 224, 1000 classes). attention_unet
    # and video_net re-type the authors' code in Tests/Fixtures and are not measured here.
    from timm.models.resnet import ResNet
    yield "se_resnet", timm.create_model("seresnet18"), (1, 3, 224, 224)
    yield "cbam_resnet", ResNet(Bottleneck, [3, 4, 6, 3], block_args={"attn_layer": "cbam"}), (1, 3, 224, 224)
    yield "eca_resnet", ResNet(Bottleneck, [3, 4, 6, 3], block_args={"attn_layer": "eca"}), (1, 3, 224, 224)
    yield "sk_resnet", timm.create_model("skresnet18"), (1, 3, 224, 224)
    yield "resnest", timm.create_model("resnest14d"), (1, 3, 224, 224)
    yield "vit", timm.create_model("vit_tiny_patch16_224"), (1, 3, 224, 224)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, module, shape in models():
        module.eval()
        x = torch.randn(*shape)
        with torch.inference_mode():
            module(x)  # warm-up
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                module(x)
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        at = lambda q: times[min(len(times) - 1, round((len(times) - 1) * q))]
        print(f"{name}: latency ms: min {times[0]:.3f} median {at(0.5):.3f} p90 {at(0.9):.3f} "
              f"({args.runs} runs, {args.threads} threads, torch {torch.__version__})")


if __name__ == "__main__":
    main()
