"""Block fixtures for the channel & spatial attention library
(Models/library/channel_spatial/channel_spatial.yaml): timm's LightCbamModule and CoordAttn,
and the authors' official modules re-typed below (smp SCSEModule, SimAM, triplet attention,
BAM, DANet PAM/CAM), state_dict names included (prefixed with the layer name)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers.cbam import LightCbamModule
from timm.layers.coord_attn import CoordAttn

from fixturelib import case, mod, block_args

BLOCKS = "blocks"




@torch.no_grad()
def calibrate(m, *inputs):
    """Set every BatchNorm's running stats near the statistics of the values it sees (mean
    perturbed by 0.3 std, variance scaled by U(0.5, 2)), so the gates stay unsaturated and
    the mean, variance and eps all matter."""
    def pre(bn, args):
        x = args[0]
        dims = [0] + list(range(2, x.dim()))
        mu, var = x.mean(dims), x.var(dims, unbiased=False)
        var = var + 0.1 * var.mean() + 1e-3
        bn.running_mean.copy_(mu + torch.randn_like(mu) * 0.3 * var.sqrt())
        bn.running_var.copy_(var * (torch.rand_like(var) * 1.5 + 0.5))
    hooks = [s.register_forward_pre_hook(pre) for s in m.modules()
             if isinstance(s, nn.modules.batchnorm._BatchNorm)]
    m(*inputs)
    for h in hooks:
        h.remove()
    return m


# ---------------------------------------------------------------- reference modules

class SCSEModule(nn.Module):
    """segmentation_models_pytorch.base.modules.SCSEModule."""
    def __init__(self, in_channels, reduction=16):
        super().__init__()
        self.cSE = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, in_channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels // reduction, in_channels, 1),
            nn.Sigmoid(),
        )
        self.sSE = nn.Sequential(nn.Conv2d(in_channels, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.cSE(x) + x * self.sSE(x)


class SimAM(nn.Module):
    """ZjjConan/SimAM networks/attentions/simam_module.py."""
    def __init__(self, channels=None, e_lambda=1e-4):
        super().__init__()
        self.activaton = nn.Sigmoid()
        self.e_lambda = e_lambda

    def forward(self, x):
        b, c, h, w = x.size()
        n = w * h - 1
        x_minus_mu_square = (x - x.mean(dim=[2, 3], keepdim=True)).pow(2)
        y = x_minus_mu_square / (4 * (x_minus_mu_square.sum(dim=[2, 3], keepdim=True) / n + self.e_lambda)) + 0.5
        return x * self.activaton(y)


class BasicConv(nn.Module):
    """landskape-ai/triplet-attention MODELS/triplet_attention.py."""
    def __init__(self, in_planes, out_planes, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 relu=True, bn=True, bias=False):
        super().__init__()
        self.out_channels = out_planes
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size, stride=stride,
                              padding=padding, dilation=dilation, groups=groups, bias=bias)
        self.bn = nn.BatchNorm2d(out_planes, eps=1e-5, momentum=0.01, affine=True) if bn else None
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.relu is not None:
            x = self.relu(x)
        return x


class ZPool(nn.Module):
    def forward(self, x):
        return torch.cat((torch.max(x, 1)[0].unsqueeze(1), torch.mean(x, 1).unsqueeze(1)), dim=1)


class AttentionGate(nn.Module):
    def __init__(self):
        super().__init__()
        kernel_size = 7
        self.compress = ZPool()
        self.conv = BasicConv(2, 1, kernel_size, stride=1, padding=(kernel_size - 1) // 2, relu=False)

    def forward(self, x):
        x_compress = self.compress(x)
        x_out = self.conv(x_compress)
        scale = torch.sigmoid_(x_out)
        return x * scale


class TripletAttention(nn.Module):
    def __init__(self, no_spatial=False):
        super().__init__()
        self.cw = AttentionGate()
        self.hc = AttentionGate()
        self.no_spatial = no_spatial
        if not no_spatial:
            self.hw = AttentionGate()

    def forward(self, x):
        x_perm1 = x.permute(0, 2, 1, 3).contiguous()
        x_out1 = self.cw(x_perm1)
        x_out11 = x_out1.permute(0, 2, 1, 3).contiguous()
        x_perm2 = x.permute(0, 3, 2, 1).contiguous()
        x_out2 = self.hc(x_perm2)
        x_out21 = x_out2.permute(0, 3, 2, 1).contiguous()
        if not self.no_spatial:
            x_out = self.hw(x)
            x_out = 1 / 3 * (x_out + x_out11 + x_out21)
        else:
            x_out = 1 / 2 * (x_out11 + x_out21)
        return x_out


class Flatten(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1)


class ChannelGate(nn.Module):
    """Jongchan/attention-module MODELS/bam.py, except the pooling: the official
    F.avg_pool2d(x, x.size(2), stride=x.size(2)) is the global mean only for square maps;
    here it pools the whole map (kernel (H, W))."""
    def __init__(self, gate_channel, reduction_ratio=16, num_layers=1):
        super().__init__()
        self.gate_c = nn.Sequential()
        self.gate_c.add_module('flatten', Flatten())
        gate_channels = [gate_channel]
        gate_channels += [gate_channel // reduction_ratio] * num_layers
        gate_channels += [gate_channel]
        for i in range(len(gate_channels) - 2):
            self.gate_c.add_module('gate_c_fc_%d' % i, nn.Linear(gate_channels[i], gate_channels[i + 1]))
            self.gate_c.add_module('gate_c_bn_%d' % (i + 1), nn.BatchNorm1d(gate_channels[i + 1]))
            self.gate_c.add_module('gate_c_relu_%d' % (i + 1), nn.ReLU())
        self.gate_c.add_module('gate_c_fc_final', nn.Linear(gate_channels[-2], gate_channels[-1]))

    def forward(self, in_tensor):
        avg_pool = F.avg_pool2d(in_tensor, in_tensor.shape[2:], stride=in_tensor.shape[2:])
        return self.gate_c(avg_pool).unsqueeze(2).unsqueeze(3).expand_as(in_tensor)


class SpatialGate(nn.Module):
    def __init__(self, gate_channel, reduction_ratio=16, dilation_conv_num=2, dilation_val=4):
        super().__init__()
        self.gate_s = nn.Sequential()
        self.gate_s.add_module('gate_s_conv_reduce0', nn.Conv2d(gate_channel, gate_channel // reduction_ratio, kernel_size=1))
        self.gate_s.add_module('gate_s_bn_reduce0', nn.BatchNorm2d(gate_channel // reduction_ratio))
        self.gate_s.add_module('gate_s_relu_reduce0', nn.ReLU())
        for i in range(dilation_conv_num):
            self.gate_s.add_module('gate_s_conv_di_%d' % i, nn.Conv2d(
                gate_channel // reduction_ratio, gate_channel // reduction_ratio, kernel_size=3,
                padding=dilation_val, dilation=dilation_val))
            self.gate_s.add_module('gate_s_bn_di_%d' % i, nn.BatchNorm2d(gate_channel // reduction_ratio))
            self.gate_s.add_module('gate_s_relu_di_%d' % i, nn.ReLU())
        self.gate_s.add_module('gate_s_conv_final', nn.Conv2d(gate_channel // reduction_ratio, 1, kernel_size=1))

    def forward(self, in_tensor):
        return self.gate_s(in_tensor).expand_as(in_tensor)


class BAM(nn.Module):
    def __init__(self, gate_channel, reduction_ratio=16, dilation_val=4):
        super().__init__()
        self.channel_att = ChannelGate(gate_channel, reduction_ratio)
        self.spatial_att = SpatialGate(gate_channel, reduction_ratio, dilation_val=dilation_val)

    def forward(self, in_tensor):
        att = 1 + torch.sigmoid(self.channel_att(in_tensor) * self.spatial_att(in_tensor))
        return att * in_tensor


class PAM_Module(nn.Module):
    """junfu1115/DANet encoding/nn/da_att.py."""
    def __init__(self, in_dim):
        super().__init__()
        self.chanel_in = in_dim
        self.query_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim // 8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim // 8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        m_batchsize, C, height, width = x.size()
        proj_query = self.query_conv(x).view(m_batchsize, -1, width * height).permute(0, 2, 1)
        proj_key = self.key_conv(x).view(m_batchsize, -1, width * height)
        energy = torch.bmm(proj_query, proj_key)
        attention = self.softmax(energy)
        proj_value = self.value_conv(x).view(m_batchsize, -1, width * height)
        out = torch.bmm(proj_value, attention.permute(0, 2, 1))
        out = out.view(m_batchsize, C, height, width)
        out = self.gamma * out + x
        return out


class CAM_Module(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        self.chanel_in = in_dim
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        m_batchsize, C, height, width = x.size()
        proj_query = x.view(m_batchsize, C, -1)
        proj_key = x.view(m_batchsize, C, -1).permute(0, 2, 1)
        energy = torch.bmm(proj_query, proj_key)
        energy_new = torch.max(energy, -1, keepdim=True)[0].expand_as(energy) - energy
        attention = self.softmax(energy_new)
        proj_value = x.view(m_batchsize, C, -1)
        out = torch.bmm(attention, proj_value)
        out = out.view(m_batchsize, C, height, width)
        out = self.gamma * out + x
        return out


# ---------------------------------------------------------------- cases

def _block_case(block, name, c, h, w, make, x_init=("offset", 1.0), **kw):
    """A one-layer model `block: {op: block, **kw}` against `make(c, **kw)`."""
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - {block}: {{op: {block}{block_args(**kw)}}}
""", x=x_init)
    def _(x):
        m = mod(block, make(c, **kw))
        calibrate(m, x)
        return {block: m(x)}


def _gamma(m):
    with torch.no_grad():
        m.gamma.fill_(0.7)  # zero in the official init; non-zero so the attention path matters
    return m


for args in [("light_cbam_c20_6x5", 20, 6, 5, {}),                       # rd = 1
             ("light_cbam_c36_k3_rd025_7x4", 36, 7, 4, dict(spatial_kernel_size=3, rd_ratio=0.25))]:  # rd = 9
    _block_case("light_cbam", *args[:4], LightCbamModule, **args[4])

for args in [("scse_c20_5x7", 20, 5, 7, {}),                              # C // 16 = 1
             ("scse_c36_r8_6x4", 36, 6, 4, dict(reduction=8))]:            # 4
    _block_case("scse", *args[:4], SCSEModule, **args[4])

for args in [("simam_c12_5x7", 12, 5, 7, {}),
             ("simam_c7_lambda01_4x6", 7, 4, 6, dict(e_lambda=0.1)),
             ("simam_c5_1x3", 5, 1, 3, {})]:
    _block_case("simam", *args[:4], lambda c, **kw: SimAM(c, **kw), **args[4])

for args in [("coord_attention_c20_6x5", 20, 6, 5, {}),                   # rd = 8
             ("coord_attention_c36_skip_bias_4x7", 36, 4, 7, dict(has_skip=True, bias=True)),
             ("coord_attention_c24_rd025_5x3", 24, 5, 3, dict(rd_ratio=0.25, rd_divisor=4))]:  # rd = 4
    _block_case("coord_attention", *args[:4], CoordAttn, **args[4])

for args in [("triplet_attention_c20_6x5", 20, 6, 5, {}),
             ("triplet_attention_c12_nospatial_5x8", 12, 5, 8, dict(no_spatial=True))]:
    _block_case("triplet_attention", *args[:4], lambda c, **kw: TripletAttention(**kw), **args[4])

for args in [("bam_c20_6x5", 20, 6, 5, {}),                               # C // 16 = 1
             ("bam_c36_r4_7x4", 36, 7, 4, dict(reduction_ratio=4)),       # 9
             ("bam_c48_d2_5x5", 48, 5, 5, dict(dilation_val=2))]:         # 3
    _block_case("bam", *args[:4], BAM, **args[4])

for args in [("danet_position_c20_6x5", 20, 6, 5),                        # C // 8 = 2
             ("danet_position_c36_4x7", 36, 4, 7)]:
    _block_case("danet_position", *args, lambda c: _gamma(PAM_Module(c)))

for args in [("danet_channel_c12_5x6", 12, 5, 6),
             ("danet_channel_c20_7x3", 20, 7, 3)]:
    _block_case("danet_channel", *args, lambda c: _gamma(CAM_Module(c)), x_init=("normal", 0.3))
