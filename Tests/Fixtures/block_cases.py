"""Block fixtures: timm modules that the library blocks `se`, `cbam`, `mhsa` must match,
state_dict names included (prefixed with the layer name)."""
import torch
from timm.layers import SEModule, set_fused_attn
from timm.layers.cbam import CbamModule
from timm.models.vision_transformer import Attention

from fixturelib import case, mod, block_args, network

BLOCKS = "blocks"

# Explicit softmax(q k^T * scale) v, not F.scaled_dot_product_attention.
set_fused_attn(False)




# ---------------------------------------------------------------- se

def _se_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - se: {{op: se{block_args(**kw)}}}
""", x=("offset", 1.0))
    def _(x):
        return {"se": mod("se", SEModule(c, **kw))(x)}


_se_case("se_c24_7x5", 24, 7, 5)            # rd = make_divisible(1.5, 8) = 8
_se_case("se_c64_4x4", 64, 4, 4)            # rd = 8
_se_case("se_c10_3x6", 10, 3, 6)            # rd = 8 (> C/16, min_value = divisor)
_se_case("se_c40_rd025_4x3", 40, 4, 3, rd_ratio=0.25)  # rd = make_divisible(10, 8) = 8, not 10
_se_case("se_c36_maxpool_5x3", 36, 5, 3, add_maxpool=True)  # 0.5 * mean + 0.5 * amax


# A bare SEModule's own state_dict (fc1.weight, ...), the library block run by itself:
# `attend run Models/library/channel/se.yaml --block se --weights W` on its example input.
@network(BLOCKS, "se_module_bare", "Models/library/channel/se.yaml", {}, block="se", x=("offset", 1.0))
def _(x):
    return {"se": mod("", SEModule(x.shape[1]))(x)}

# ---------------------------------------------------------------- cbam

def _cbam_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - cbam: {{op: cbam{block_args(**kw)}}}
""", x=("offset", 1.0))
    def _(x):
        m = mod("cbam", CbamModule(c, **kw))
        # Running stats near the real statistics of the spatial conv's output, so the
        # sigmoid gate is not saturated and the BN's mean/var/eps all visibly matter.
        s = m.spatial
        pooled = torch.cat([m.channel(x).mean(1, keepdim=True), m.channel(x).amax(1, keepdim=True)], 1)
        y = s.conv.conv(pooled)
        s.conv.bn.running_mean.copy_(y.mean() + torch.randn(1) * 0.3 * y.std())
        s.conv.bn.running_var.copy_(y.var() * (torch.rand(1) * 1.5 + 0.5))
        return {"cbam": m(x)}


_cbam_case("cbam_c32_7x5", 32, 7, 5)        # rd = 2
_cbam_case("cbam_c20_6x6", 20, 6, 6)        # rd = make_divisible(1.25, 1) = 1
_cbam_case("cbam_c48_5x9", 48, 5, 9)        # rd = 3
_cbam_case("cbam_c24_k3_rd025_5x6", 24, 5, 6, spatial_kernel_size=3, rd_ratio=0.25)  # rd = 6

# ---------------------------------------------------------------- mhsa

def _mhsa_case(name, n, dim, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {n}, {dim}]
layers:
  - mhsa: {{op: mhsa{block_args(**kw)}}}
""")
    def _(x):
        m = mod("mhsa", Attention(dim, **kw))
        assert not m.fused_attn
        return {"mhsa": m(x)}


_mhsa_case("mhsa_n5_d64", 5, 64)                                    # 8 heads of 8
_mhsa_case("mhsa_n7_d48", 7, 48)                                    # 8 heads of 6
_mhsa_case("mhsa_h3_qkvbias_n10_d24", 10, 24, num_heads=3, qkv_bias=True)  # 3 heads of 8
