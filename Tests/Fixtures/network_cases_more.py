"""Network fixtures for Models/sk_resnet.yaml (timm skresnet18) and Models/resnest.yaml (timm
resnest14d) at reduced widths, against timm's ResNet built with the same block class and
configuration. The weights are the timm module's own state_dict, so its key names must be
the names the model file produces with the same `--set` overrides."""
import torch
import torch.nn as nn
from timm.models.resnest import ResNestBottleneck
from timm.models.resnet import ResNet
from timm.models.sknet import SelectiveKernelBasic

from fixturelib import mod, network

NETWORKS = "networks"


@torch.no_grad()
def _calibrate_attention(m, x, extra=7):
    """network_cases._calibrate (BatchNorms visited in forward order, running stats set near
    the statistics of what each sees: mean + N(0, 0.3) * std and var * U(0.5, 2)), with the
    attention BatchNorms (SelectiveKernelAttn.bn, SplitAttn.bn1, on pooled [N, C, 1, 1]
    values) treated apart. They see one value per channel and image, so all statistics come
    from x plus `extra` more images drawn as x is (N(0, 1) plus a per-channel N(0, 1)
    offset). The pooled values vary little between images compared with their size:
    dividing by their spread across images (gains up to 40) would make the output sensitive
    to float rounding, so their running_var is their mean square times U(0.5, 2) instead;
    the attention logits still vary by channel and image."""
    batch = torch.cat([x, torch.randn(extra, *x.shape[1:]) + torch.randn(1, x.shape[1], 1, 1)])
    for sub in m.modules():
        if not isinstance(sub, nn.modules.batchnorm._BatchNorm):
            continue
        seen = []
        hook = sub.register_forward_pre_hook(lambda _, args: seen.append(args[0].clone()))
        m(batch.clone())
        hook.remove()
        pooled = seen[0].shape[2:] == (1, 1)
        y = seen[0].transpose(0, 1).flatten(1)  # channels x values
        mean, std = y.mean(1), y.std(1)
        spread = (y ** 2).mean(1) if pooled else y.var(1)
        sub.running_mean.copy_(mean + torch.randn_like(mean) * 0.3 * std)
        sub.running_var.copy_(spread * (torch.rand_like(spread) * 1.5 + 0.5))


# ---------------------------------------------------------------- sk_resnet (skresnet18 layout)

def _sk_resnet_case(name, width, size, classes, depth):
    @network(NETWORKS, name, "Models/sk_resnet.yaml",
             {"width": width, "size": size, "classes": classes, "depth": depth}, x=("offset", 1.0))
    def _(x):
        # timm.models.sknet.skresnet18 with channels reduced (its stem is always 64 wide).
        sk_kwargs = dict(rd_ratio=1 / 8, rd_divisor=16, split_input=True)
        m = mod("", ResNet(SelectiveKernelBasic, [depth] * 4, channels=tuple(width * f for f in (1, 2, 4, 8)),
                           num_classes=classes, block_args=dict(sk_kwargs=sk_kwargs), zero_init_last=False))
        _calibrate_attention(m, x)
        return {"fc": m(x)}


# Widths must be even (split_input halves each block's input). SK attention width 16
# (make_divisible(C / 8, 16)). The 64-wide stem and layer1's input dominate the weights.
_sk_resnet_case("sk_resnet_net_w6_s45_d1", 6, 45, 10, 1)  # stages 6/12/24/48; odd size: stride-2 layers round up
_sk_resnet_case("sk_resnet_net_w4_s32_d2", 4, 32, 7, 2)   # 2 blocks per stage (stride-1 blocks without downsample)


# ---------------------------------------------------------------- resnest (resnest14d layout)

def _resnest_case(name, width, stem, size, classes, depths, radix=2):
    sets = {"width": width, "stem": stem, "size": size, "classes": classes}
    sets.update({f"depth{i + 1}": d for i, d in enumerate(depths)})
    if radix != 2:
        sets["radix"] = radix

    @network(NETWORKS, name, "Models/resnest.yaml", sets, x=("offset", 1.0))
    def _(x):
        # timm.models.resnest.resnest14d with channels / stem_width reduced.
        m = mod("", ResNet(ResNestBottleneck, list(depths), channels=tuple(width * f for f in (1, 2, 4, 8)),
                           stem_type="deep", stem_width=stem, avg_down=True, base_width=64, cardinality=1,
                           num_classes=classes, block_args=dict(radix=radix, avd=True, avd_first=False)))
        _calibrate_attention(m, x)
        return {"fc": m(x)}


# Widths must be even (SplitAttn's conv has radix = 2 groups). SplitAttn's attention width is
# at least 32, which with layer4 dominates the weights: width 6 would exceed 300 KB.
_resnest_case("resnest_net_w2_st10_s48", 2, 10, 48, 10, (1, 1, 1, 1))  # stem 10/10/20
# stem 6/6/12, odd size; 2 blocks in layer1 and layer3 (stride-1 blocks without downsample)
_resnest_case("resnest_net_w4_st6_s37_d2", 4, 6, 37, 9, (2, 1, 2, 1))
