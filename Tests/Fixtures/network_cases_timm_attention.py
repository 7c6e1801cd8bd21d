"""Network fixtures for the timm-named attention ResNets in Models/timm/ (ECA-ResNet "d"/"t",
SK-ResNet, ResNeSt, and the ByobNet gcresnet50t): each is timm's own model, built by
timm.create_model(NAME, ...) (or, for the ByobNet, ByobNet with NAME's config) at reduced
widths, so each spec loads that model's state_dict unchanged. As in network_cases_timm.py,
the reference is the float64 forward pass (the stacks of calibrated blocks carry float32
rounding of ~1e-4, PyTorch's own float32 included)."""
import dataclasses

import timm
from timm.models.byobnet import ByobNet, model_cfgs

from fixturelib import mod, network
from network_cases import _calibrate
from network_cases_more import _calibrate_attention

NETWORKS = "networks"


def _sets(width, size, classes, depths, batch, **more):
    sets = {"width": width, "size": size, "classes": classes, **more}
    sets.update({f"depth{i + 1}": d for i, d in enumerate(depths)})
    if batch != 1:
        sets["batch"] = batch
    return sets


def _float64(m, x, output):
    out = m.double()(x.double()).float()
    m.float()
    return {output: out}


def _timm_resnet_case(name, model, width, size, classes, depths, batch=1, stem=None, attention_bn=False):
    """timm.create_model(model) with channels = width * (1, 2, 4, 8), `stem` as stem_width and
    the stage depths `depths` (--set depthN). attention_bn: the model has BatchNorms on pooled
    [N, C, 1, 1] values (SelectiveKernelAttn, SplitAttn), calibrated apart."""
    more = {"stem": stem} if stem else {}
    kwargs = {"stem_width": stem} if stem else {}

    @network(NETWORKS, name, f"Models/timm/{model}.yaml", _sets(width, size, classes, depths, batch, **more),
             x=("offset", 1.0))
    def _(x):
        m = mod("", timm.create_model(model, pretrained=False, channels=tuple(width * f for f in (1, 2, 4, 8)),
                                      layers=list(depths), num_classes=classes, **kwargs))
        if attention_bn:
            _calibrate_attention(m, x)
        else:
            _calibrate(m, x)
        return _float64(m, x, "fc")


# ECA kernel sizes from the channels (t = int((log2(C) + 1) / 2), odd, at least 3): 3 up to 127 channels, 5 from 128.
_timm_resnet_case("timm_ecaresnet26t_w4_st16_s40", "ecaresnet26t", 4, 40, 6, (2, 2, 2, 2), stem=16)  # tiered stem 12/16/32
_timm_resnet_case("timm_ecaresnet50d_b2_w3_st8_s33", "ecaresnet50d", 3, 33, 5, (3, 4, 6, 3), batch=2, stem=8)  # odd size
_timm_resnet_case("timm_ecaresnet101d_w2_st8_s64_d23", "ecaresnet101d", 2, 64, 4, (1, 1, 23, 1), stem=8)  # layer3's 23 blocks
_timm_resnet_case("timm_skresnet18_w4_s32", "skresnet18", 4, 32, 7, (2, 2, 2, 2), attention_bn=True)
_timm_resnet_case("timm_skresnet34_b2_w2_s29", "skresnet34", 2, 29, 5, (3, 4, 6, 3), batch=2, attention_bn=True)
_timm_resnet_case("timm_resnest14d_w2_st8_s40", "resnest14d", 2, 40, 6, (1, 1, 1, 1), stem=8, attention_bn=True)
_timm_resnet_case("timm_resnest26d_b2_w2_st6_s35", "resnest26d", 2, 35, 5, (2, 2, 2, 2), batch=2, stem=6, attention_bn=True)
_timm_resnet_case("timm_resnest50d_w2_st8_s32_d3", "resnest50d", 2, 32, 4, (1, 2, 3, 1), stem=8, attention_bn=True)


def _timm_byobnet_case(name, model, width, stem, size, classes, depths, batch=1):
    """timm's ByobNet with model_cfgs[model], each stage's c = 4 * width * 2**i (--set width),
    stem_chs = stem and the depths d (--set depthN)."""
    @network(NETWORKS, name, f"Models/timm/{model}.yaml", _sets(width, size, classes, depths, batch, stem=stem),
             x=("offset", 1.0))
    def _(x):
        cfg = model_cfgs[model]
        blocks = tuple(dataclasses.replace(b, c=4 * width * 2 ** i, d=d) for i, (b, d) in enumerate(zip(cfg.blocks, depths)))
        m = mod("", ByobNet(dataclasses.replace(cfg, blocks=blocks, stem_chs=stem), num_classes=classes))
        _calibrate(m, x)
        return _float64(m, x, "head")


# Stage widths 16/32/64/128, bottleneck mid make_divisible(c / 4) = 8/8/16/32 (timm's minimum 8).
_timm_byobnet_case("timm_gcresnet50t_b2_w4_st16_s40", "gcresnet50t", 4, 16, 40, 6, (2, 2, 3, 1), batch=2)
