"""Block fixtures for Models/library/channel/channel.yaml: timm's EffectiveSEModule, EcaModule,
CecaModule, GatherExcite, GlobalContext and the authors' GCT, state_dict names included
(prefixed with the layer name)."""
import math

import torch
import torch.nn as nn
from timm.layers import EcaModule, EffectiveSEModule, GlobalContext, create_conv2d, make_divisible
from timm.layers.create_act import create_act_layer, get_act_layer
from timm.layers.eca import CecaModule
from timm.layers.mlp import ConvMlp
import torch.nn.functional as F

from fixturelib import case, mod, block_args, calibrate_batchnorms

BLOCKS = "blocks"




def _block_case(block, name, c, h, w, make, yaml_kw=None, **kw):
    """One case: `- {block}: {op: {block}, ...}` on x [2, c, h, w] against make(c, **kw)."""
    yaml_kw = kw if yaml_kw is None else yaml_kw

    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - {block}: {{op: {block}{block_args(**yaml_kw)}}}
""", x=("offset", 1.0))
    def _(x):
        m = mod(block, make(c, **kw))
        return {block: m(x)}


# ---------------------------------------------------------------- effective_se

_block_case("effective_se", "effective_se_c24_7x5", 24, 7, 5, EffectiveSEModule)
_block_case("effective_se", "effective_se_c10_3x6", 10, 3, 6, EffectiveSEModule)
_block_case("effective_se", "effective_se_c36_maxpool_5x3", 36, 5, 3, EffectiveSEModule, add_maxpool=True)

# ---------------------------------------------------------------- eca / ceca

# Kernel size from the channels: C 24 -> 3, C 136 -> 5, C 2050 -> 7.
_block_case("eca", "eca_c24_7x5", 24, 7, 5, EcaModule)
_block_case("eca", "eca_c136_3x2", 136, 3, 2, EcaModule)
_block_case("eca", "eca_c2050_1x2", 2050, 1, 2, EcaModule)                   # k 7
_block_case("eca", "eca_c40_mlp_4x5", 40, 4, 5, EcaModule, use_mlp=True)   # rd 8, k 3
# An explicit kernel size: timm only honours it without channels.
_block_case("eca", "eca_c30_k5_3x4", 30, 3, 4, lambda c, kernel_size: EcaModule(None, kernel_size=kernel_size),
            kernel_size=5)

_block_case("ceca", "ceca_c24_7x5", 24, 7, 5, CecaModule)
_block_case("ceca", "ceca_c136_3x2", 136, 3, 2, CecaModule)
_block_case("ceca", "ceca_c12_k7_4x3", 12, 4, 3, lambda c, kernel_size: CecaModule(None, kernel_size=kernel_size),
            kernel_size=7)


# ---------------------------------------------------------------- gather_excite

class GatherExcite(nn.Module):
    """timm.layers.gather_excite.GatherExcite (timm 1.0.31) re-typed with one fix: timm passes
    `*dd` (the device/dtype dict) positionally to ConvMlp, create_conv2d and BatchNorm2d,
    which makes the module impossible to construct. Here those are `**dd`."""

    def __init__(self, channels, feat_size=None, extra_params=False, extent=0, use_mlp=True,
                 rd_ratio=1. / 16, rd_channels=None, rd_divisor=1, add_maxpool=False,
                 act_layer=nn.ReLU, norm_layer=nn.BatchNorm2d, gate_layer='sigmoid', device=None, dtype=None):
        dd = {'device': device, 'dtype': dtype}
        super().__init__()
        self.add_maxpool = add_maxpool
        act_layer = get_act_layer(act_layer)
        self.extent = extent
        if extra_params:
            self.gather = nn.Sequential()
            if extent == 0:
                assert feat_size is not None, 'spatial feature size must be specified for global extent w/ params'
                self.gather.add_module(
                    'conv1', create_conv2d(channels, channels, kernel_size=feat_size, stride=1, depthwise=True, **dd))
                if norm_layer:
                    self.gather.add_module('norm1', nn.BatchNorm2d(channels, **dd))
            else:
                assert extent % 2 == 0
                num_conv = int(math.log2(extent))
                for i in range(num_conv):
                    self.gather.add_module(
                        f'conv{i + 1}',
                        create_conv2d(channels, channels, kernel_size=3, stride=2, depthwise=True, **dd))
                    if norm_layer:
                        self.gather.add_module(f'norm{i + 1}', nn.BatchNorm2d(channels, **dd))
                    if i != num_conv - 1:
                        self.gather.add_module(f'act{i + 1}', act_layer(inplace=True))
        else:
            self.gather = None
            if self.extent == 0:
                self.gk = 0
                self.gs = 0
            else:
                assert extent % 2 == 0
                self.gk = self.extent * 2 - 1
                self.gs = self.extent

        if not rd_channels:
            rd_channels = make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.mlp = ConvMlp(channels, rd_channels, act_layer=act_layer, **dd) if use_mlp else nn.Identity()
        self.gate = create_act_layer(gate_layer)

    def forward(self, x):
        size = x.shape[-2:]
        if self.gather is not None:
            x_ge = self.gather(x)
        else:
            if self.extent == 0:
                x_ge = x.mean(dim=(2, 3), keepdims=True)
                if self.add_maxpool:
                    x_ge = 0.5 * x_ge + 0.5 * x.amax((2, 3), keepdim=True)
            else:
                x_ge = F.avg_pool2d(
                    x, kernel_size=self.gk, stride=self.gs, padding=self.gk // 2, count_include_pad=False)
                if self.add_maxpool:
                    x_ge = 0.5 * x_ge + 0.5 * F.max_pool2d(x, kernel_size=self.gk, stride=self.gs, padding=self.gk // 2)
        x_ge = self.mlp(x_ge)
        if x_ge.shape[-1] != 1 or x_ge.shape[-2] != 1:
            x_ge = F.interpolate(x_ge, size=size)
        return x * self.gate(x_ge)


_block_case("gather_excite", "gather_excite_c24_7x5", 24, 7, 5, GatherExcite)           # rd 2
_block_case("gather_excite", "gather_excite_c18_nomlp_maxpool_5x4", 18, 5, 4, GatherExcite,
            use_mlp=False, add_maxpool=True)
_block_case("gather_excite", "gather_excite_c20_e2_6x6", 20, 6, 6, GatherExcite, extent=2)
_block_case("gather_excite", "gather_excite_c36_e4_maxpool_9x7", 36, 9, 7, GatherExcite,
            extent=4, add_maxpool=True)
_block_case("gather_excite", "gather_excite_c12_e2_params_8x5", 12, 8, 5, GatherExcite,
            extent=2, extra_params=True)
_block_case("gather_excite", "gather_excite_c16_e4_params_9x7", 16, 9, 7, GatherExcite,
            extent=4, extra_params=True, rd_ratio=0.25)
_block_case("gather_excite", "gather_excite_c10_e8_params_10x9", 10, 10, 9, GatherExcite,
            extent=8, extra_params=True)
# Global extent with params: a depthwise feat_size conv (padding 2: 7x5 stays 7x5; 6x4 with
# feat_size 4, padding 1, gives 5x3, resized back to 6x4).
_block_case("gather_excite", "gather_excite_c14_f5_params_7x5", 14, 7, 5, GatherExcite,
            extra_params=True, feat_size=5)
_block_case("gather_excite", "gather_excite_c22_f4_params_6x4", 22, 6, 4, GatherExcite,
            extra_params=True, feat_size=4)

# ---------------------------------------------------------------- global_context

_block_case("global_context", "global_context_c24_7x5", 24, 7, 5, GlobalContext)       # rd 3
_block_case("global_context", "global_context_c40_add_scale_4x6", 40, 4, 6, GlobalContext, fuse_add=True)
_block_case("global_context", "global_context_c20_noattn_add_5x3", 20, 5, 3, GlobalContext,
            use_attn=False, fuse_add=True, fuse_scale=False)


# ---------------------------------------------------------------- gct

class GCT(nn.Module):
    """Gated Channel Transformation, re-typed from the authors' code
    (github.com/z-x-yang/GCT, PyTorch/GCT.py)."""

    def __init__(self, num_channels, epsilon=1e-5, mode='l2', after_relu=False):
        super(GCT, self).__init__()
        self.alpha = nn.Parameter(torch.ones(1, num_channels, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, num_channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, num_channels, 1, 1))
        self.epsilon = epsilon
        self.mode = mode
        self.after_relu = after_relu

    def forward(self, x):
        if self.mode == 'l2':
            embedding = (x.pow(2).sum((2, 3), keepdim=True) + self.epsilon).pow(0.5) * self.alpha
            norm = self.gamma / (embedding.pow(2).mean(dim=1, keepdim=True) + self.epsilon).pow(0.5)
        elif self.mode == 'l1':
            if not self.after_relu:
                _x = torch.abs(x)
            else:
                _x = x
            embedding = _x.sum((2, 3), keepdim=True) * self.alpha
            norm = self.gamma / (torch.abs(embedding).mean(dim=1, keepdim=True) + self.epsilon)
        else:
            raise ValueError('Unknown mode!')
        gate = 1. + torch.tanh(embedding * norm + self.beta)
        return x * gate


def _gct(c, **kw):
    """GCT with random alpha, gamma, beta (its init, ones and zeros, would make the gate 1)."""
    m = GCT(c, **kw)
    with torch.no_grad():
        m.alpha.copy_(torch.rand(1, c, 1, 1) * 1.0 + 0.5)
        m.gamma.normal_(0, 1.0)
        m.beta.normal_(0, 0.5)
    return m


_block_case("gct", "gct_c24_7x5", 24, 7, 5, _gct)
_block_case("gct", "gct_c10_l1_3x6", 10, 3, 6, _gct, yaml_kw={"mode": "\"'l1'\""}, mode="l1")
_block_case("gct", "gct_c20_l1_after_relu_4x5", 20, 4, 5, _gct,
            yaml_kw={"mode": "\"'l1'\"", "after_relu": True}, mode="l1", after_relu=True)
_block_case("gct", "gct_c12_eps_5x2", 12, 5, 2, _gct, yaml_kw={"epsilon": 0.01}, epsilon=0.01)


# ---------------------------------------------------------------- a module argument with its own arguments

def _resnet_stage_gca_case(name, c, planes, depth, h, w):
    """timm's 'gca' attention (create_attn: functools.partial(GlobalContext, fuse_add=True,
    fuse_scale=False)) in every Bottleneck of a ResNet stage, written as a module argument
    with its arguments bound; the stage has `depth` blocks, the first with the downsample."""
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - layer1: {{op: resnet_stage, block: bottleneck_block, planes: {planes}, depth: {depth}, attn_layer: {{op: global_context, fuse_add: true, fuse_scale: false}}}}
""", x=("offset", 1.0))
    def _(x):
        from timm.models.resnet import Bottleneck, make_blocks
        stages, _ = make_blocks((Bottleneck,), (planes,), (depth,), c, attn_layer="gca")
        (stage_name, stage), = stages
        assert stage_name == "layer1" and isinstance(stage[0].se, GlobalContext) and stage[0].se.mlp_scale is None
        m = mod("layer1", stage)
        calibrate_batchnorms(m, x)
        return {"layer1": m(x)}


_resnet_stage_gca_case("resnet_stage_gca_c16_p8_d3", 16, 8, 3, 7, 6)
