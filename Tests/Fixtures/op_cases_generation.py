"""Op fixtures for the face-recognition and image-generation networks: prelu
(torch.nn.PReLU) and conv_transpose2d (torch.nn.ConvTranspose2d, also with
torch.nn.utils.spectral_norm, whose eval-mode weight is weight_orig / (u . W v))."""
import torch.nn as nn
from torch.nn.utils import spectral_norm

from fixturelib import case, mod, power_iterate

OPS = "ops"

# ---------------------------------------------------------------- prelu


@case(OPS, "prelu_shared", """
inputs:
  x: [2, 3, 4, 5]
layers:
  - act: prelu
""")
def _(x):
    return {"act": mod("act", nn.PReLU())(x)}


@case(OPS, "prelu_per_channel", """
inputs:
  x: [2, 6, 3, 4]
layers:
  - act: {op: prelu, num_parameters: 6}
""")
def _(x):
    return {"act": mod("act", nn.PReLU(6))(x)}


@case(OPS, "prelu_per_channel_2d_input", """
inputs:
  x: [4, 5]
layers:
  - act: {op: prelu, num_parameters: 5, init: 0.1}
""")
def _(x):
    return {"act": mod("act", nn.PReLU(5, init=0.1))(x)}


@case(OPS, "prelu_shared_1d_input", """
inputs:
  x: [7]
layers:
  - act: prelu
""")
def _(x):
    return {"act": mod("act", nn.PReLU())(x)}


# ---------------------------------------------------------------- conv_transpose2d


@case(OPS, "conv_transpose2d_3x3", """
inputs:
  x: [2, 3, 5, 4]
layers:
  - up: {op: conv_transpose2d, out: 4, kernel: 3}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(3, 4, 3))(x)}


@case(OPS, "conv_transpose2d_stride2_pad1", """
inputs:
  x: [2, 4, 5, 6]
layers:
  - up: {op: conv_transpose2d, out: 3, kernel: 4, stride: 2, pad: 1}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1))(x)}


@case(OPS, "conv_transpose2d_output_padding", """
inputs:
  x: [1, 3, 4, 5]
layers:
  - up: {op: conv_transpose2d, out: 5, kernel: 3, stride: 2, pad: 1, output_padding: 1}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(3, 5, 3, stride=2, padding=1, output_padding=1))(x)}


@case(OPS, "conv_transpose2d_groups_dilation_nobias", """
inputs:
  x: [2, 4, 6, 5]
layers:
  - up: {op: conv_transpose2d, out: 6, kernel: [3, 2], stride: [2, 3], pad: [2, 1], output_padding: [1, 0], groups: 2, dilation: 2, bias: false}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(2, 1), output_padding=(1, 0),
                                               groups=2, dilation=2, bias=False))(x)}


@case(OPS, "conv_transpose2d_output_padding_below_dilation", """
inputs:
  x: [1, 2, 4, 4]
layers:
  - up: {op: conv_transpose2d, out: 3, kernel: 2, output_padding: 2, dilation: 3}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(2, 3, 2, output_padding=2, dilation=3))(x)}


@case(OPS, "conv_transpose2d_from_1x1", """
inputs:
  x: [3, 8, 1, 1]
layers:
  - up: {op: conv_transpose2d, out: 5, kernel: 4}
""")
def _(x):
    return {"up": mod("up", nn.ConvTranspose2d(8, 5, 4))(x)}


@case(OPS, "conv_transpose2d_spectral_norm", """
inputs:
  x: [2, 5, 3, 3]
layers:
  - up: {op: conv_transpose2d, out: 4, kernel: 4, stride: 2, pad: 1, spectral_norm: true}
""")
def _(x):
    m = mod("up", spectral_norm(nn.ConvTranspose2d(5, 4, 4, stride=2, padding=1)))
    power_iterate(m)
    return {"up": m.eval()(x)}


@case(OPS, "conv_transpose2d_spectral_norm_groups", """
inputs:
  x: [1, 6, 4, 3]
layers:
  - up: {op: conv_transpose2d, out: 4, kernel: 3, stride: 2, groups: 2, bias: false, spectral_norm: true}
""")
def _(x):
    m = mod("up", spectral_norm(nn.ConvTranspose2d(6, 4, 3, stride=2, groups=2, bias=False)))
    power_iterate(m)
    return {"up": m.eval()(x)}
