"""Op fixtures for DETR's ops, against Hugging Face transformers' DETR modules:
`sine_position_embedding` (DetrSinePositionEmbedding without a padding mask) and
`frozen_batchnorm` (DetrFrozenBatchNorm2d, torchvision's FrozenBatchNorm2d with eps)."""
import torch
from transformers.models.detr.modeling_detr import DetrFrozenBatchNorm2d, DetrSinePositionEmbedding

from fixturelib import case, mod

OPS = "ops"


def _sine_case(name, dim, h, w, temperature=10000, normalize=False, scale=None):
    args = f", temperature: {temperature}" if temperature != 10000 else ""
    args += ", normalize: true" if normalize else ""
    args += f", scale: {scale}" if scale is not None else ""

    @case(OPS, name, f"""
inputs:
  x: [2, {dim}, {h}, {w}]
layers:
  - pos: {{op: sine_position_embedding, dim: {dim}, size: [{h}, {w}]{args}}}
  - y: {{op: add, from: [x, pos]}}
outputs: [pos, y]
""")
    def _(x):
        embedding = DetrSinePositionEmbedding(dim // 2, temperature=temperature, normalize=normalize, scale=scale)
        pos = embedding(shape=torch.Size([1, dim, h, w]), device="cpu", dtype=torch.float32)
        return {"pos": pos, "y": x + pos}


_sine_case("sine_position_detr_normalized", 16, 5, 7, normalize=True)      # DETR's setting
_sine_case("sine_position_raw_t20", 12, 6, 4, temperature=20)              # positions 1..6, no scaling
_sine_case("sine_position_scale1_single_row", 8, 1, 9, normalize=True, scale=1.0)


@case(OPS, "frozen_batchnorm2d", """
inputs:
  x: [2, 6, 5, 4]
layers:
  - bn: {op: frozen_batchnorm}
""", x=("offset", 1.0))
def _(x):
    bn = mod("bn", DetrFrozenBatchNorm2d(6))
    bn.weight.uniform_(0.7, 1.3)
    bn.bias.normal_(0, 0.5)
    bn.running_mean.normal_(0, 0.5)
    bn.running_var.copy_(10 ** (torch.rand(6) * 3 - 2.5))
    return {"bn": bn(x)}
