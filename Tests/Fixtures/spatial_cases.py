"""Block fixtures for Models/library/spatial/spatial.yaml: timm's SpatialAttn, Attention2d and
NonLocalAttn, torch's scaled_dot_product_attention, and re-typed official / well-known
implementations of External Attention (MenghaoGuo/EANet), A^2 double attention
(gjylt/DoubleAttentionNet) and the Attention U-Net gate (ozan-oktay/Attention-Gated-Networks).
State_dict names are the reference modules', prefixed with the layer name."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers.attention2d import Attention2d
from timm.layers.cbam import SpatialAttn
from timm.layers.non_local_attn import NonLocalAttn

from fixturelib import case, mod, block_args, calibrate_batchnorms

BLOCKS = "blocks"






# ---------------------------------------------------------------- re-typed references

class External_attention(nn.Module):
    """MenghaoGuo/EANet model_torch.py External_attention(c), re-typed; the official code's
    SynchronizedBatchNorm2d is nn.BatchNorm2d here (identical in eval mode) and its fixed
    self.k = 64 is a keyword argument."""

    def __init__(self, c, k=64):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 1)
        self.k = k
        self.linear_0 = nn.Conv1d(c, self.k, 1, bias=False)
        self.linear_1 = nn.Conv1d(self.k, c, 1, bias=False)
        self.linear_1.weight.data = self.linear_0.weight.data.permute(1, 0, 2)
        self.conv2 = nn.Sequential(
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c))

    def forward(self, x):
        idn = x
        x = self.conv1(x)
        b, c, h, w = x.size()
        x = x.view(b, c, h * w)                                  # b * c * n
        attn = self.linear_0(x)                                  # b, k, n
        attn = F.softmax(attn, dim=-1)                           # b, k, n
        attn = attn / (1e-9 + attn.sum(dim=1, keepdim=True))     # b, k, n
        x = self.linear_1(attn)                                  # b, c, n
        x = x.view(b, c, h, w)
        x = self.conv2(x)
        x = x + idn
        x = F.relu(x)
        return x


class DoubleAttentionLayer(nn.Module):
    """gjylt/DoubleAttentionNet DoubleAttentionLayer.py, re-typed (PyTorch 0.3 code: its
    nn.Softmax() without dim is dim=1 on the 2-D tensors it is given)."""

    def __init__(self, in_channels, c_m, c_n, k=1):
        super().__init__()
        self.K = k
        self.c_m = c_m
        self.c_n = c_n
        self.softmax = nn.Softmax(dim=1)
        self.in_channels = in_channels
        self.convA = nn.Conv2d(in_channels, c_m, 1)
        self.convB = nn.Conv2d(in_channels, c_n, 1)
        self.convV = nn.Conv2d(in_channels, c_n, 1)

    def forward(self, x):
        b, c, h, w = x.size()
        assert c == self.in_channels, 'input channel not equal!'
        A = self.convA(x)
        B = self.convB(x)
        V = self.convV(x)
        batch = int(b / self.K)
        tmpA = A.view(batch, self.K, self.c_m, h * w).permute(0, 2, 1, 3).reshape(batch, self.c_m, self.K * h * w)
        tmpB = B.view(batch, self.K, self.c_n, h * w).permute(0, 2, 1, 3).reshape(batch * self.c_n, self.K * h * w)
        tmpV = V.view(batch, self.K, self.c_n, h * w).permute(0, 1, 3, 2).contiguous().view(int(b * h * w), self.c_n)
        softmaxB = self.softmax(tmpB).view(batch, self.c_n, self.K * h * w).permute(0, 2, 1)  # batch, K*h*w, c_n
        softmaxV = self.softmax(tmpV).view(batch, self.K * h * w, self.c_n).permute(0, 2, 1)  # batch, c_n, K*h*w
        tmpG = tmpA.matmul(softmaxB)      # batch, c_m, c_n
        tmpZ = tmpG.matmul(softmaxV)      # batch, c_m, K*h*w
        tmpZ = tmpZ.view(batch, self.c_m, self.K, h * w).permute(0, 2, 1, 3).reshape(int(b), self.c_m, h, w)
        return tmpZ


class GridAttentionBlock2D(nn.Module):
    """ozan-oktay/Attention-Gated-Networks models/layers/grid_attention_layer.py
    _GridAttentionBlockND(dimension=2, mode='concatenation'), re-typed (only the 2-D
    concatenation path; F.upsample is F.interpolate with the same arguments)."""

    def __init__(self, in_channels, gating_channels, inter_channels=None, mode='concatenation', sub_sample_factor=(2, 2)):
        super().__init__()
        assert mode == 'concatenation'
        if isinstance(sub_sample_factor, tuple):
            self.sub_sample_factor = sub_sample_factor
        elif isinstance(sub_sample_factor, list):
            self.sub_sample_factor = tuple(sub_sample_factor)
        else:
            self.sub_sample_factor = tuple([sub_sample_factor]) * 2
        self.sub_sample_kernel_size = self.sub_sample_factor
        self.in_channels = in_channels
        self.gating_channels = gating_channels
        self.inter_channels = inter_channels
        if self.inter_channels is None:
            self.inter_channels = in_channels // 2
            if self.inter_channels == 0:
                self.inter_channels = 1
        self.upsample_mode = 'bilinear'
        self.W = nn.Sequential(
            nn.Conv2d(in_channels=self.in_channels, out_channels=self.in_channels, kernel_size=1, stride=1, padding=0),
            nn.BatchNorm2d(self.in_channels),
        )
        self.theta = nn.Conv2d(in_channels=self.in_channels, out_channels=self.inter_channels,
                               kernel_size=self.sub_sample_kernel_size, stride=self.sub_sample_factor,
                               padding=0, bias=False)
        self.phi = nn.Conv2d(in_channels=self.gating_channels, out_channels=self.inter_channels,
                             kernel_size=1, stride=1, padding=0, bias=True)
        self.psi = nn.Conv2d(in_channels=self.inter_channels, out_channels=1, kernel_size=1, stride=1,
                             padding=0, bias=True)

    def forward(self, x, g):
        input_size = x.size()
        batch_size = input_size[0]
        assert batch_size == g.size(0)
        theta_x = self.theta(x)
        theta_x_size = theta_x.size()
        phi_g = F.interpolate(self.phi(g), size=theta_x_size[2:], mode=self.upsample_mode)
        f = F.relu(theta_x + phi_g, inplace=True)
        sigm_psi_f = torch.sigmoid(self.psi(f))
        sigm_psi_f = F.interpolate(sigm_psi_f, size=input_size[2:], mode=self.upsample_mode)
        y = sigm_psi_f.expand_as(x) * x
        W_y = self.W(y)
        return W_y, sigm_psi_f


# ---------------------------------------------------------------- spatial_gate

def _gate_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - gate: {{op: spatial_gate{block_args(**kw)}}}
""", x=("offset", 1.0))
    def _(x):
        m = mod("gate", SpatialAttn(**kw))
        calibrate_batchnorms(m, x)
        return {"gate": m(x)}


_gate_case("spatial_gate_c20_7x5", 20, 7, 5)
_gate_case("spatial_gate_c13_k3_6x9", 13, 6, 9, kernel_size=3)


# ---------------------------------------------------------------- sdpa

def _sdpa_case(name, b, heads, n, m, d, dv, **kw):
    @case(BLOCKS, name, f"""
inputs:
  q: [{b}, {heads}, {n}, {d}]
  k: [{b}, {heads}, {m}, {d}]
  v: [{b}, {heads}, {m}, {dv}]
layers:
  - attn: {{op: sdpa, from: [q, k, v]{block_args(**kw)}}}
""")
    def _(q, k, v):
        return {"attn": F.scaled_dot_product_attention(q, k, v, **kw)}


_sdpa_case("sdpa_h3_n5_m7_d12", 2, 3, 5, 7, 12, 12)
_sdpa_case("sdpa_h2_n6_m4_d5_dv3_scale", 1, 2, 6, 4, 5, 3, scale=0.3)


# ---------------------------------------------------------------- attention2d

def _a2d_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - attn: {{op: attention2d{block_args(**kw)}}}
""")
    def _(x):
        m = mod("attn", Attention2d(c, **kw))
        m.fused_attn = False  # explicit q k * scale, softmax, @ v
        return {"attn": m(x)}


_a2d_case("attention2d_c64_4x3", 64, 4, 3)                            # 32 heads of 2
_a2d_case("attention2d_c36_h4_6x5", 36, 6, 5, num_heads=4)              # 4 heads of 9
_a2d_case("attention2d_c20_h5_headfirst_out12_4x3", 20, 4, 3, num_heads=5, head_first=True,
          bias=False, dim_out=12)
_a2d_case("attention2d_c20_h4_expand_out24_3x5", 20, 3, 5, num_heads=4, expand_first=True, dim_out=24)


# ---------------------------------------------------------------- non_local

def _nl_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - nl: {{op: non_local{block_args(**kw)}}}
""")
    def _(x):
        m = mod("nl", NonLocalAttn(c, **kw))
        calibrate_batchnorms(m, x)
        return {"nl": m(x)}


_nl_case("non_local_c64_7x5", 64, 7, 5)                     # rd = 8
_nl_case("non_local_c36_4x6", 36, 4, 6)                     # rd = make_divisible(4.5, 8) = 8
_nl_case("non_local_c20_noscale_rd6_5x3", 20, 5, 3, use_scale=False, rd_channels=6)


# ---------------------------------------------------------------- external_attention

def _ea_case(name, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - ea: {{op: external_attention{block_args(**kw)}}}
""")
    def _(x):
        m = External_attention(c, **kw)
        # The reference ties linear_1 to linear_0 at construction (a view of the same
        # storage); untie them so that each state_dict entry is checked on its own.
        m.linear_1.weight = nn.Parameter(m.linear_1.weight.detach().clone())
        m = mod("ea", m)
        calibrate_batchnorms(m, x)
        return {"ea": m(x)}


_ea_case("external_attention_c32_7x5", 32, 7, 5)            # k = 64
_ea_case("external_attention_c20_k16_6x4", 20, 6, 4, k=16)


# ---------------------------------------------------------------- double_attention

def _a2_case(name, c, h, w, c_m=None, c_n=None):
    kw = {k: v for k, v in (("c_m", c_m), ("c_n", c_n)) if v is not None}

    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
layers:
  - a2: {{op: double_attention{block_args(**kw)}}}
""")
    def _(x):
        m = mod("a2", DoubleAttentionLayer(c, c_m or c // 4, c_n or c // 4))
        return {"a2": m(x)}


_a2_case("double_attention_c32_7x5", 32, 7, 5)              # c_m = c_n = 8
_a2_case("double_attention_c20_m6_n5_4x6", 20, 4, 6, c_m=6, c_n=5)


# ---------------------------------------------------------------- attention_gate

def _ag_case(name, c, h, w, cg, hg, wg, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [2, {c}, {h}, {w}]
  g: [2, {cg}, {hg}, {wg}]
layers:
  - ag: {{op: attention_gate, from: [x, g]{block_args(**kw)}}}
outputs: [ag.0, ag.1]
""")
    def _(x, g):
        m = mod("ag", GridAttentionBlock2D(c, cg, **kw))
        calibrate_batchnorms(m, x, g)
        out, att = m(x, g)
        return {"ag.0": out, "ag.1": att}


_ag_case("attention_gate_c16_10x8_g24_5x4", 16, 10, 8, 24, 5, 4)     # inter 8, theta 5x4
_ag_case("attention_gate_c12_9x7_g20_3x2_i5", 12, 9, 7, 20, 3, 2, inter_channels=5)  # theta 4x3
_ag_case("attention_gate_c10_9x9_g8_2x3_s3", 10, 9, 9, 8, 2, 3, sub_sample_factor=3)  # theta 3x3
