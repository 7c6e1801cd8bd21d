"""Op fixtures, part 1: one or more cases per op of the op table (plan/ops.md), favouring
corners. Part 2 (pooling, shape ops, interpolate, parameter) is op_cases_shape.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixturelib import case, mod

OPS = "ops"

# ---------------------------------------------------------------- convolution

@case(OPS, "conv1d_stride_pad_dilation", """
inputs:
  x: [2, 3, 11]
layers:
  - conv: {op: conv1d, out: 4, kernel: 3, stride: 2, pad: 2, dilation: 2}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv1d(3, 4, 3, stride=2, padding=2, dilation=2))(x)}


@case(OPS, "conv1d_groups2_nobias", """
inputs:
  x: [2, 4, 9]
layers:
  - conv: {op: conv1d, out: 6, kernel: 4, groups: 2, bias: false}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv1d(4, 6, 4, groups=2, bias=False))(x)}


@case(OPS, "conv2d_3x3_pad1", """
inputs:
  x: [2, 3, 6, 5]
layers:
  - conv: {op: conv2d, out: 4, kernel: 3, pad: 1}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(3, 4, 3, padding=1))(x)}


@case(OPS, "conv2d_stride2_kernel3x1", """
inputs:
  x: [2, 3, 9, 6]
layers:
  - conv: {op: conv2d, out: 5, kernel: [3, 1], stride: 2, pad: [1, 0]}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(3, 5, (3, 1), stride=2, padding=(1, 0)))(x)}


@case(OPS, "conv2d_dilation2", """
inputs:
  x: [1, 3, 9, 8]
layers:
  - conv: {op: conv2d, out: 4, kernel: 3, pad: 1, dilation: 2}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(3, 4, 3, padding=1, dilation=2))(x)}


@case(OPS, "conv2d_depthwise", """
inputs:
  x: [2, 6, 7, 7]
layers:
  - conv: {op: conv2d, out: 6, kernel: 3, pad: 1, groups: 6}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(6, 6, 3, padding=1, groups=6))(x)}


@case(OPS, "conv2d_grouped_stride", """
inputs:
  x: [2, 6, 9, 7]
layers:
  - conv: {op: conv2d, out: 4, kernel: 3, stride: 2, pad: 1, groups: 2}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(6, 4, 3, stride=2, padding=1, groups=2))(x)}


@case(OPS, "conv2d_nobias", """
inputs:
  x: [2, 3, 5, 5]
layers:
  - conv: {op: conv2d, out: 5, kernel: 3, bias: false}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(3, 5, 3, bias=False))(x)}


@case(OPS, "conv2d_1x1", """
inputs:
  x: [2, 8, 4, 3]
layers:
  - conv: {op: conv2d, out: 5, kernel: 1}
""")
def _(x):
    return {"conv": mod("conv", nn.Conv2d(8, 5, 1))(x)}


@case(OPS, "conv2d_chain_relu", """
inputs:
  x: [1, 2, 6, 6]
layers:
  - conv1: {op: conv2d, out: 4, kernel: 3, pad: 1}
  - relu
  - conv2: {op: conv2d, out: 3, kernel: 3, stride: 2}
""")
def _(x):
    c1 = mod("conv1", nn.Conv2d(2, 4, 3, padding=1))
    c2 = mod("conv2", nn.Conv2d(4, 3, 3, stride=2))
    return {"conv2": c2(F.relu(c1(x)))}

# ---------------------------------------------------------------- linear / matmul

@case(OPS, "linear_tokens", """
inputs:
  x: [2, 5, 12]
layers:
  - fc: {op: linear, out: 7}
""")
def _(x):
    return {"fc": mod("fc", nn.Linear(12, 7))(x)}


@case(OPS, "linear_2d", """
inputs:
  x: [3, 10]
layers:
  - fc: {op: linear, out: 4}
""")
def _(x):
    return {"fc": mod("fc", nn.Linear(10, 4))(x)}


@case(OPS, "linear_nobias", """
inputs:
  x: [2, 4, 6]
layers:
  - fc: {op: linear, out: 3, bias: false}
""")
def _(x):
    return {"fc": mod("fc", nn.Linear(6, 3, bias=False))(x)}


def _matmul_case(name, sa, sb):
    @case(OPS, name, f"""
inputs:
  a: {sa}
  b: {sb}
layers:
  - y: {{op: matmul, from: [a, b]}}
""")
    def _(a, b):
        return {"y": torch.matmul(a, b)}


_matmul_case("matmul_batched_heads", [2, 3, 5, 4], [2, 3, 4, 6])
_matmul_case("matmul_broadcast_batch", [2, 1, 3, 4], [5, 4, 6])
_matmul_case("matmul_2d", [5, 7], [7, 3])
_matmul_case("matmul_vec_mat", [4], [4, 3])
_matmul_case("matmul_batched_mat_vec", [2, 3, 4], [4])

# ---------------------------------------------------------------- binary elementwise

BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow}


def _binary_case(op, name, sa, sb, **inits):
    @case(OPS, name, f"""
inputs:
  a: {sa}
  b: {sb}
layers:
  - y: {{op: {op}, from: [a, b]}}
""", **inits)
    def _(a, b):
        return {"y": BINARY[op](a, b)}


_binary_case("add", "add_broadcast", [2, 3, 4, 5], [3, 1, 1])
_binary_case("sub", "sub_broadcast_both", [3, 1, 5], [2, 1, 4, 1])
_binary_case("mul", "mul_broadcast_lastdim", [2, 3, 4, 5], [5])
_binary_case("div", "div_broadcast", [2, 3, 4, 5], [3, 1, 1], b=("uniform", 0.5, 2.0))
_binary_case("pow", "pow_broadcast", [2, 3, 4], [3, 1], a=("uniform", 0.5, 2.0), b=("uniform", -1.5, 2.5))
_binary_case("div", "div_operand_order", [4, 1], [1, 5], a=("uniform", 0.5, 2.0), b=("uniform", 0.5, 2.0))


def _scalar_case(op, name, other, **inits):
    @case(OPS, name, f"""
inputs:
  x: [2, 3, 4]
layers:
  - y: {{op: {op}, other: {other}}}
""", **inits)
    def _(x):
        return {"y": BINARY[op](x, float(other))}


_scalar_case("add", "add_scalar", -1.5)
_scalar_case("sub", "sub_scalar", 0.75)
_scalar_case("mul", "mul_scalar", 0.125)
_scalar_case("div", "div_scalar", 3.0)
_scalar_case("pow", "pow_scalar_int_exponent_negative_base", 3)


@case(OPS, "pow_scalar_positive_base", """
inputs:
  x: [2, 3, 4]
layers:
  - a: abs
  - {op: add, other: 0.5}
  - y: {op: pow, other: 1.7}
""")
def _(x):
    return {"y": torch.pow(x.abs() + 0.5, 1.7)}

# ---------------------------------------------------------------- unary elementwise

UNARY = {
    "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "relu": F.relu, "relu6": F.relu6,
    "sigmoid": torch.sigmoid, "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish,
    "silu": F.silu, "tanh": torch.tanh,
}
UNARY_INIT = {"relu6": ("uniform", -3.0, 9.0), "hardsigmoid": ("uniform", -4.5, 4.5),
              "hardswish": ("uniform", -4.5, 4.5), "exp": ("normal", 1.5),
              "sigmoid": ("normal", 3.0), "tanh": ("normal", 2.0), "silu": ("normal", 3.0)}

for _op in UNARY:
    def _unary(op):
        @case(OPS, f"unary_{op}", f"""
inputs:
  x: [2, 3, 4, 5]
layers:
  - y: {{op: {op}}}
""", x=UNARY_INIT.get(op))
        def _(x):
            return {"y": UNARY[op](x)}
    _unary(_op)


@case(OPS, "unary_sqrt", """
inputs:
  x: [2, 3, 4, 5]
layers:
  - a: abs
  - y: {op: sqrt}
""")
def _(x):
    return {"y": torch.sqrt(x.abs())}


@case(OPS, "gelu_exact", """
inputs:
  x: [2, 3, 4, 5]
layers:
  - y: {op: gelu}
""", x=("normal", 3.0))
def _(x):
    return {"y": nn.GELU()(x)}


@case(OPS, "gelu_tanh", """
inputs:
  x: [2, 3, 4, 5]
layers:
  - y: {op: gelu, approximate: tanh}
""", x=("normal", 3.0))
def _(x):
    return {"y": nn.GELU(approximate="tanh")(x)}

# ---------------------------------------------------------------- softmax

for _axis in (None, 1, 0):
    def _softmax(axis):
        arg = "" if axis is None else f", axis: {axis}"
        @case(OPS, f"softmax_axis_{'default' if axis is None else axis}", f"""
inputs:
  x: [2, 3, 4, 5]
layers:
  - y: {{op: softmax{arg}}}
""", x=("normal", 2.0))
        def _(x):
            return {"y": torch.softmax(x, dim=-1 if axis is None else axis)}
    _softmax(_axis)

# ---------------------------------------------------------------- normalisation

@case(OPS, "layernorm_default", """
inputs:
  x: [2, 5, 8]
layers:
  - ln: {op: layernorm}
""", x=("logscale", [2, 5, 1]))
def _(x):
    return {"ln": mod("ln", nn.LayerNorm(8))(x)}


@case(OPS, "layernorm_eps_1e6", """
inputs:
  x: [2, 5, 8]
layers:
  - ln: {op: layernorm, eps: 1e-6, affine: true}
""", x=("logscale", [2, 5, 1]))
def _(x):
    return {"ln": mod("ln", nn.LayerNorm(8, eps=1e-6))(x)}


@case(OPS, "layernorm_no_affine", """
inputs:
  x: [2, 5, 8]
layers:
  - ln: {op: layernorm, affine: false}
""", x=("logscale", [2, 5, 1]))
def _(x):
    return {"ln": mod("ln", nn.LayerNorm(8, elementwise_affine=False))(x)}


@case(OPS, "layernorm_nobias", """
inputs:
  x: [3, 6]
layers:
  - ln: {op: layernorm, bias: false}
""")
def _(x):
    return {"ln": mod("ln", nn.LayerNorm(6, bias=False))(x)}


@case(OPS, "batchnorm2d", """
inputs:
  x: [2, 4, 3, 5]
layers:
  - bn: {op: batchnorm}
""")
def _(x):
    return {"bn": mod("bn", nn.BatchNorm2d(4))(x)}


@case(OPS, "batchnorm1d_eps_1e3", """
inputs:
  x: [2, 5, 7]
layers:
  - bn: {op: batchnorm, eps: 1e-3}
""")
def _(x):
    return {"bn": mod("bn", nn.BatchNorm1d(5, eps=1e-3))(x)}


@case(OPS, "batchnorm1d_2d_input", """
inputs:
  x: [4, 6]
layers:
  - bn: {op: batchnorm}
""")
def _(x):
    return {"bn": mod("bn", nn.BatchNorm1d(6))(x)}


@case(OPS, "batchnorm2d_no_affine", """
inputs:
  x: [2, 3, 4, 4]
layers:
  - bn: {op: batchnorm, affine: false}
""")
def _(x):
    return {"bn": mod("bn", nn.BatchNorm2d(3, affine=False))(x)}


@case(OPS, "groupnorm_groups2", """
inputs:
  x: [2, 6, 4, 5]
layers:
  - gn: {op: groupnorm, groups: 2}
""", x=("logscale", [2, 6, 1, 1]))
def _(x):
    return {"gn": mod("gn", nn.GroupNorm(2, 6))(x)}


@case(OPS, "groupnorm_groups_eq_channels", """
inputs:
  x: [2, 6, 4, 5]
layers:
  - gn: {op: groupnorm, groups: 6}
""", x=("logscale", [2, 6, 1, 1]))
def _(x):
    return {"gn": mod("gn", nn.GroupNorm(6, 6))(x)}


@case(OPS, "groupnorm_3d_no_affine_eps", """
inputs:
  x: [2, 6, 7]
layers:
  - gn: {op: groupnorm, groups: 3, affine: false, eps: 1e-3}
""", x=("logscale", [2, 6, 1]))
def _(x):
    return {"gn": mod("gn", nn.GroupNorm(3, 6, eps=1e-3, affine=False))(x)}

# ---------------------------------------------------------------- reductions

REDUCE = {"mean": torch.mean, "sum": torch.sum, "max": torch.amax}
REDUCE_VARIANTS = {  # suffix: (spec args, dims or None, keepdim)
    "axes23_keepdim": (", axes: [2, 3], keepdim: true", (2, 3), True),
    "axis1": (", axes: [1]", (1,), False),
    "all": ("", None, False),
    "all_explicit_none_keepdim": (", axes: None, keepdim: true", None, True),
    "neg_axis": (", axes: [-1]", (-1,), False),
}

for _op in REDUCE:
    for _suffix in REDUCE_VARIANTS:
        def _reduce(op, suffix):
            args, dims, keep = REDUCE_VARIANTS[suffix]
            @case(OPS, f"{op}_{suffix}", f"""
inputs:
  x: [2, 3, 4, 5]
layers:
  - r: {{op: {op}{args}}}
""")
            def _(x):
                d = tuple(range(x.dim())) if dims is None else dims
                return {"r": REDUCE[op](x, dim=d, keepdim=keep)}
        _reduce(_op, _suffix)
