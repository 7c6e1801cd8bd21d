"""Block fixtures for the branch attention library (Models/library/branch/branch.yaml):
timm's SelectiveKernel and SplitAttn, state_dict names included (prefixed with the layer
name)."""
from timm.layers.selective_kernel import SelectiveKernel
from timm.layers.split_attn import SplitAttn

from channel_spatial_cases import _block_case

for args in [("selective_kernel_c20_6x5", 20, 6, 5, {}),                  # 3x3 d1 + 3x3 d2, attn 8
             ("selective_kernel_c36_out24_s2_7x5", 36, 7, 5, dict(out_channels=24, stride=2)),
             ("selective_kernel_c24_k53_nokeep_g4_5x6", 24, 5, 6,
              dict(kernel_size=[5, 3], keep_3x3=False, groups=4, rd_channels=6)),
             ("selective_kernel_c12_nosplit_4x7", 12, 4, 7, dict(split_input=False, dilation=2))]:
    _block_case("selective_kernel", *args[:4], SelectiveKernel, **args[4])

for args in [("split_attention_c20_6x5", 20, 6, 5, {}),                   # radix 2, attn 32
             ("split_attention_c36_out24_s2_g2_7x5", 36, 7, 5, dict(out_channels=24, stride=2, groups=2)),
             ("split_attention_c12_radix1_bias_5x4", 12, 5, 4, dict(radix=1, bias=True, rd_channels=5)),
             ("split_attention_c12_radix3_k5_4x6", 12, 4, 6, dict(radix=3, kernel_size=5))]:
    _block_case("split_attention", *args[:4], SplitAttn, **args[4])
