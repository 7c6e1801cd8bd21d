"""Op fixtures: conv3d, avgpool3d and maxpool3d (torch.nn.Conv3d, AvgPool3d, MaxPool3d), used
by the video blocks of Models/library/temporal/temporal.yaml (non_local_3d)."""
import math

import torch
import torch.nn as nn

from fixturelib import case, mod

OPS = "ops"


def _conv3d_case(name, shape, out, kernel, **kw):
    args = "".join(f", {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in kw.items())
    torch_kw = {{"pad": "padding"}.get(k, k): v for k, v in kw.items()}

    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - conv: {{op: conv3d, out: {out}, kernel: {kernel}{args}}}
""")
    def _(x):
        m = nn.Conv3d(shape[1], out, kernel, **torch_kw)
        with torch.no_grad():  # fixturelib's init covers Conv1d/2d only: N(0, 1/fan_in), bias N(0, 0.5)
            m.weight.normal_(0, 1 / math.sqrt(m.weight[0].numel()))
            if m.bias is not None:
                m.bias.normal_(0, 0.5)
        return {"conv": mod("conv", m)(x)}


_conv3d_case("conv3d_k1", [2, 5, 3, 4, 6], 3, 1)                                   # pointwise (non-local)
_conv3d_case("conv3d_k3_pad1", [1, 3, 4, 5, 6], 4, 3, pad=1)
_conv3d_case("conv3d_k312_stride", [1, 4, 5, 7, 6], 6, [3, 1, 2], stride=[2, 1, 2], pad=[1, 0, 1])
_conv3d_case("conv3d_groups2_nobias", [2, 6, 3, 5, 4], 4, [1, 3, 3], pad=[0, 1, 1], groups=2, bias=False)
_conv3d_case("conv3d_depthwise_dil", [1, 4, 5, 6, 6], 4, 3, pad=2, dilation=[1, 2, 2], groups=4)


def _pool3d_case(name, kind, shape, kernel, **kw):
    args = "".join(f", {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in kw.items())
    torch_kw = {{"pad": "padding"}.get(k, k): v for k, v in kw.items()}
    module = nn.AvgPool3d if kind == "avgpool3d" else nn.MaxPool3d

    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - pool: {{op: {kind}, kernel: {kernel}{args}}}
""")
    def _(x):
        return {"pool": module(kernel, **torch_kw)(x)}


_pool3d_case("maxpool3d_k122", "maxpool3d", [2, 3, 3, 6, 5], [1, 2, 2])               # non-local sub-sampling
_pool3d_case("maxpool3d_k3_s2_pad1", "maxpool3d", [1, 2, 5, 6, 7], 3, stride=2, pad=1)
_pool3d_case("maxpool3d_k3_ceil_dil", "maxpool3d", [1, 2, 7, 5, 6], [3, 2, 2], stride=[2, 1, 2], dilation=[1, 2, 1], ceil_mode=True)
_pool3d_case("avgpool3d_k2", "avgpool3d", [2, 3, 4, 6, 5], 2)
_pool3d_case("avgpool3d_k3_s2_pad1", "avgpool3d", [1, 2, 5, 6, 7], 3, stride=2, pad=1)
_pool3d_case("avgpool3d_k3_s2_pad1_nocount", "avgpool3d", [1, 2, 5, 6, 7], 3, stride=2, pad=1, count_include_pad=False)
_pool3d_case("avgpool3d_k322_ceil", "avgpool3d", [1, 3, 6, 5, 7], [3, 2, 2], stride=[2, 2, 3], pad=[1, 0, 1], ceil_mode=True)
_pool3d_case("avgpool3d_k322_ceil_nocount", "avgpool3d", [1, 3, 6, 5, 7], [3, 2, 2], stride=[2, 2, 3], pad=[1, 1, 0], ceil_mode=True, count_include_pad=False)
_pool3d_case("maxpool3d_k3_dil2_depth_pad", "maxpool3d", [1, 2, 8, 4, 5], [3, 2, 3], stride=[1, 2, 2], pad=[1, 1, 1], dilation=[2, 1, 1])
_pool3d_case("avgpool3d_k3_ceil_depth_nocount", "avgpool3d", [2, 2, 6, 3, 4], [3, 1, 2], stride=[2, 1, 2], pad=[1, 0, 1], ceil_mode=True, count_include_pad=False)
