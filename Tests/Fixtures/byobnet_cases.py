"""Block fixtures for timm's ByobNet pieces (Models/library/networks/byobnet.yaml) in the
configurations gcresnet50t does not reach: BottleneckBlock with the average-pool shortcut
(timm's default downsample 'avg'), grouped kxk convs and ECA attention, without a shortcut
(downsample ''), and the tiered stem with its max pool. State_dict names prefixed with the
layer name."""
from timm.layers import get_attn
from timm.models.byobnet import BottleneckBlock, LayerFn, create_byob_stem

from fixturelib import calibrate_batchnorms, case, mod

BLOCKS = "blocks"


@case(BLOCKS, "byob_bottleneck_c16_out32_s2_avg_g4_eca_9x7", """
inputs:
  x: [2, 16, 9, 7]
layers:
  - block: {op: byob_bottleneck, out_chs: 32, stride: 2, bottle_ratio: 0.5, group_size: 4, downsample: "'avg'", attn_layer: eca}
""", x=("offset", 1.0))
def _(x):
    m = mod("block", BottleneckBlock(16, 32, stride=2, bottle_ratio=0.5, group_size=4, downsample="avg",
                                     layers=LayerFn(attn=get_attn("eca"))))
    calibrate_batchnorms(m, x)
    return {"block": m(x)}


@case(BLOCKS, "byob_bottleneck_c12_out24_k5_noshortcut_6x6", """
inputs:
  x: [2, 12, 6, 6]
layers:
  - block: {op: byob_bottleneck, out_chs: 24, kernel_size: 5, bottle_ratio: 0.25, downsample: "''"}
""", x=("offset", 1.0))
def _(x):
    m = mod("block", BottleneckBlock(12, 24, kernel_size=5, bottle_ratio=0.25, downsample=""))  # mid make_divisible(6) = 8
    assert m.shortcut is None
    calibrate_batchnorms(m, x)
    return {"block": m(x)}


@case(BLOCKS, "tiered_stem_out16_pool_17x20", """
inputs:
  x: [1, 3, 17, 20]
layers:
  - stem: {op: tiered_stem, out_chs: 16, pool: true}
""", x=("offset", 1.0))
def _(x):
    m = mod("stem", create_byob_stem(3, 16, stem_type="tiered", pool_type="maxpool")[0])
    calibrate_batchnorms(m, x)
    return {"stem": m(x)}
