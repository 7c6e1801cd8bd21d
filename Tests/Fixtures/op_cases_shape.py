"""Op fixtures, part 2: pooling, shape ops, interpolate, parameter (part 1: op_cases.py)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixturelib import case, param

OPS = "ops"

# ---------------------------------------------------------------- pooling

def _pool_case(name, shape, args, module):
    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - pool: {{{args}}}
""")
    def _(x):
        return {"pool": module(x)}


_pool_case("avgpool_k3s2p1_include_pad", [2, 3, 7, 6], "op: avgpool2d, kernel: 3, stride: 2, pad: 1",
           nn.AvgPool2d(3, 2, 1))
_pool_case("avgpool_k3s2p1_exclude_pad", [2, 3, 7, 6],
           "op: avgpool2d, kernel: 3, stride: 2, pad: 1, count_include_pad: false",
           nn.AvgPool2d(3, 2, 1, count_include_pad=False))
_pool_case("avgpool_k2_ceil", [2, 3, 7, 6], "op: avgpool2d, kernel: 2, ceil_mode: true",
           nn.AvgPool2d(2, ceil_mode=True))
_pool_case("avgpool_k2_floor", [2, 3, 7, 5], "op: avgpool2d, kernel: 2",
           nn.AvgPool2d(2))
_pool_case("avgpool_ceil_pad_include", [1, 2, 6, 5],
           "op: avgpool2d, kernel: 3, stride: 2, pad: 1, ceil_mode: true",
           nn.AvgPool2d(3, 2, 1, ceil_mode=True))
_pool_case("avgpool_ceil_pad_exclude", [1, 2, 6, 5],
           "op: avgpool2d, kernel: 3, stride: 2, pad: 1, ceil_mode: true, count_include_pad: false",
           nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False))
_pool_case("avgpool_ceil_drop_last_window", [1, 2, 5, 6],
           "op: avgpool2d, kernel: 2, stride: 2, pad: 1, ceil_mode: true",
           nn.AvgPool2d(2, 2, 1, ceil_mode=True))
_pool_case("avgpool_kernel3x2_stride1x2", [1, 2, 5, 6], "op: avgpool2d, kernel: [3, 2], stride: [1, 2]",
           nn.AvgPool2d((3, 2), (1, 2)))
_pool_case("maxpool_k3s2p1", [2, 3, 7, 6], "op: maxpool2d, kernel: 3, stride: 2, pad: 1",
           nn.MaxPool2d(3, 2, 1))
_pool_case("maxpool_dilation2", [1, 2, 9, 8], "op: maxpool2d, kernel: 3, stride: 2, pad: 1, dilation: 2",
           nn.MaxPool2d(3, 2, 1, dilation=2))
_pool_case("maxpool_k2_ceil", [2, 3, 7, 6], "op: maxpool2d, kernel: 2, ceil_mode: true",
           nn.MaxPool2d(2, ceil_mode=True))
_pool_case("maxpool_ceil_drop_last_window", [1, 2, 5, 6],
           "op: maxpool2d, kernel: 2, stride: 2, pad: 1, ceil_mode: true",
           nn.MaxPool2d(2, 2, 1, ceil_mode=True))
_pool_case("adaptive_avgpool_1", [2, 3, 7, 5], "op: adaptive_avgpool2d, size: 1",
           nn.AdaptiveAvgPool2d(1))
_pool_case("adaptive_avgpool_3x2", [2, 3, 7, 5], "op: adaptive_avgpool2d, size: [3, 2]",
           nn.AdaptiveAvgPool2d((3, 2)))
_pool_case("adaptive_avgpool_upsample_5x4", [1, 2, 3, 2], "op: adaptive_avgpool2d, size: [5, 4]",
           nn.AdaptiveAvgPool2d((5, 4)))
_pool_case("adaptive_maxpool_2x3", [2, 3, 7, 5], "op: adaptive_maxpool2d, size: [2, 3]",
           nn.AdaptiveMaxPool2d((2, 3)))
_pool_case("adaptive_maxpool_1", [2, 3, 4, 6], "op: adaptive_maxpool2d, size: 1",
           nn.AdaptiveMaxPool2d(1))

# ---------------------------------------------------------------- shape ops

def _shape_case(name, shape, args, fn):
    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - y: {{{args}}}
""")
    def _(x):
        return {"y": fn(x)}


_shape_case("reshape_infer", [2, 3, 4, 5], "op: reshape, shape: [2, -1, 5]", lambda x: x.reshape(2, -1, 5))
_shape_case("reshape_infer_first", [2, 3, 4, 5], "op: reshape, shape: [-1, 20]", lambda x: x.reshape(-1, 20))
_shape_case("permute", [2, 3, 4, 5], "op: permute, dims: [0, 2, 3, 1]", lambda x: x.permute(0, 2, 3, 1))
_shape_case("transpose_1_3", [2, 3, 4, 5], "op: transpose, dim0: 1, dim1: 3", lambda x: x.transpose(1, 3))
_shape_case("transpose_neg", [2, 3, 4, 5], "op: transpose, dim0: -2, dim1: -1", lambda x: x.transpose(-2, -1))
_shape_case("flatten_default", [2, 3, 4, 5], "op: flatten", nn.Flatten())
_shape_case("flatten_start2", [2, 3, 4, 5], "op: flatten, start: 2", nn.Flatten(2))
_shape_case("flatten_start1_end2", [2, 3, 4, 5], "op: flatten, start: 1, end: 2", nn.Flatten(1, 2))
_shape_case("slice_neg_start_clamped_step2", [2, 3, 7, 4], "op: slice, axis: 2, start: -5, end: 100, step: 2",
            lambda x: x[:, :, -5:100:2])
_shape_case("slice_neg_end_last_axis", [2, 3, 7], "op: slice, axis: -1, start: 1, end: -1",
            lambda x: x[..., 1:-1])
_shape_case("slice_start_only", [4, 6], "op: slice, axis: 0, start: 1", lambda x: x[1:])
_shape_case("expand_batch_keep", [1, 1, 5], "op: expand, shape: [3, -1, -1]", lambda x: x.expand(3, -1, -1))
_shape_case("expand_middle_and_new_leading", [2, 1, 4], "op: expand, shape: [3, 2, 6, 4]",
            lambda x: x.expand(3, 2, 6, 4))
_shape_case("pad_constant_1d", [2, 3, 4], "op: pad, pads: [1, 2], value: 0.5",
            lambda x: F.pad(x, [1, 2], value=0.5))
_shape_case("pad_constant_2d", [2, 3, 4, 5], "op: pad, pads: [1, 0, 2, 1], value: 0.5",
            lambda x: F.pad(x, [1, 0, 2, 1], value=0.5))
_shape_case("pad_constant_default_zero", [2, 3, 4], "op: pad, pads: [0, 1]", lambda x: F.pad(x, [0, 1]))
_shape_case("pad_reflect_2d", [1, 2, 4, 5], "op: pad, pads: [1, 2, 2, 1], mode: reflect",
            lambda x: F.pad(x, [1, 2, 2, 1], mode="reflect"))
_shape_case("pad_reflect_1d", [2, 3, 5], "op: pad, pads: [2, 1], mode: reflect",
            lambda x: F.pad(x, [2, 1], mode="reflect"))
_shape_case("pad_replicate_2d", [1, 2, 4, 5], "op: pad, pads: [2, 1, 0, 3], mode: replicate",
            lambda x: F.pad(x, [2, 1, 0, 3], mode="replicate"))
_shape_case("identity", [2, 3, 4], "op: identity", nn.Identity())
_shape_case("dropout_eval", [2, 3, 4], "op: dropout, p: 0.3", nn.Dropout(0.3).eval())


@case(OPS, "concat_axis1_three", """
inputs:
  a: [2, 2, 3, 4]
  b: [2, 3, 3, 4]
  c: [2, 1, 3, 4]
layers:
  - y: {op: concat, from: [a, b, c], axis: 1}
""")
def _(a, b, c):
    return {"y": torch.cat([a, b, c], dim=1)}


@case(OPS, "concat_axis_neg1", """
inputs:
  a: [2, 3, 2]
  b: [2, 3, 4]
layers:
  - y: {op: concat, from: [a, b], axis: -1}
""")
def _(a, b):
    return {"y": torch.cat([a, b], dim=-1)}


@case(OPS, "concat_default_axis0", """
inputs:
  a: [1, 3]
  b: [2, 3]
layers:
  - y: {op: concat, from: [a, b]}
""")
def _(a, b):
    return {"y": torch.cat([a, b], dim=0)}


@case(OPS, "split_chunk2_uneven", """
inputs:
  x: [2, 5, 3]
layers:
  - parts: {op: split, sizes: 2, axis: 1}
outputs: [parts.0, parts.1, parts.2]
""")
def _(x):
    return {f"parts.{i}": t for i, t in enumerate(torch.split(x, 2, dim=1))}


@case(OPS, "split_sections_last_axis", """
inputs:
  x: [2, 3, 6]
layers:
  - parts: {op: split, sizes: [1, 3, 2], axis: -1}
outputs: [parts.0, parts.1, parts.2]
""")
def _(x):
    return {f"parts.{i}": t for i, t in enumerate(torch.split(x, [1, 3, 2], dim=-1))}


@case(OPS, "split_then_add", """
inputs:
  x: [4, 3]
layers:
  - parts: {op: split, sizes: 2}
  - y: {op: add, from: [parts.1, parts.0]}
""")
def _(x):
    p0, p1 = torch.split(x, 2, dim=0)
    return {"y": p1 + p0}


@case(OPS, "unbind_axis1", """
inputs:
  x: [2, 3, 4]
layers:
  - u: {op: unbind, axis: 1}
outputs: [u.0, u.1, u.2]
""")
def _(x):
    return {f"u.{i}": t for i, t in enumerate(torch.unbind(x, dim=1))}

# ---------------------------------------------------------------- interpolate

def _interp_case(name, shape, args, **kw):
    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - up: {{op: interpolate, {args}}}
""")
    def _(x):
        return {"up": F.interpolate(x, **kw)}


_interp_case("interp_nearest_size", [1, 2, 3, 4], "size: [5, 7]", size=(5, 7))
_interp_case("interp_nearest_scale2", [1, 2, 3, 4], "scale: 2", scale_factor=2)
_interp_case("interp_nearest_scale1p5", [1, 2, 5, 4], "scale: 1.5", scale_factor=1.5)
_interp_case("interp_nearest_scale1p7", [1, 2, 5, 4], "scale: 1.7", scale_factor=1.7)  # 1/scale != in/out here
_interp_case("interp_nearest_scale_pair", [1, 2, 3, 4], "scale: [2.0, 1.5]", scale_factor=(2.0, 1.5))
_interp_case("interp_nearest_down_size", [1, 2, 5, 7], "size: [2, 3]", size=(2, 3))
_interp_case("interp_nearest_size_int", [1, 2, 3, 4], "size: 6, mode: nearest", size=6)
_interp_case("interp_bilinear_size", [1, 2, 3, 4], "size: [5, 7], mode: bilinear",
             size=(5, 7), mode="bilinear", align_corners=False)
_interp_case("interp_bilinear_size_align_corners", [1, 2, 3, 4],
             "size: [5, 7], mode: bilinear, align_corners: true",
             size=(5, 7), mode="bilinear", align_corners=True)
_interp_case("interp_bilinear_scale1p5", [1, 2, 5, 4], "scale: 1.5, mode: bilinear",
             scale_factor=1.5, mode="bilinear", align_corners=False)
_interp_case("interp_bilinear_scale2_align_corners", [1, 2, 3, 4],
             "scale: 2, mode: bilinear, align_corners: true",
             scale_factor=2, mode="bilinear", align_corners=True)
_interp_case("interp_bilinear_down", [1, 2, 7, 6], "size: [3, 4], mode: bilinear",
             size=(3, 4), mode="bilinear", align_corners=False)
_interp_case("interp_bilinear_down_align_corners", [1, 2, 7, 6],
             "size: [3, 4], mode: bilinear, align_corners: true",
             size=(3, 4), mode="bilinear", align_corners=True)

# ---------------------------------------------------------------- parameter

@case(OPS, "parameter_layer_scale", """
inputs:
  x: [2, 4, 3, 3]
layers:
  - gamma: {op: parameter, shape: [1, 4, 1, 1]}
  - y: {op: mul, from: [x, gamma]}
""")
def _(x):
    return {"y": x * param("gamma", [1, 4, 1, 1])}


@case(OPS, "parameter_token_concat", """
inputs:
  x: [1, 3, 4]
layers:
  - cls: {op: parameter, shape: [1, 1, 4], init: normal, std: 0.02}
  - y: {op: concat, from: [cls, x], axis: 1}
""")
def _(x):
    return {"y": torch.cat([param("cls", [1, 1, 4]), x], dim=1)}
