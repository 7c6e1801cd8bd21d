"""Block fixtures for Models/library/temporal/temporal.yaml: temporal MHSA (timm Attention over
each position's frames), TAM (liu-zhy/temporal-adaptive-module), the space-time non-local
block (AlexHex7/Non-local_pytorch NONLocalBlock3D) and TimeSformer's divided space-time Block
(facebookresearch/TimeSformer), the last three re-typed. State_dict names are the reference
modules', prefixed with the layer name."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import set_fused_attn
from timm.models.vision_transformer import Attention

from fixturelib import case, mod, block_args, calibrate_batchnorms

BLOCKS = "blocks"

# Explicit softmax(q k^T * scale) v, not F.scaled_dot_product_attention.
set_fused_attn(False)






@torch.no_grad()
def _init_conv3d(m):
    """fixturelib's init covers Conv1d/2d: the same N(0, 1/fan_in) weights, N(0, 0.5) biases."""
    for sub in m.modules():
        if isinstance(sub, nn.Conv3d):
            sub.weight.normal_(0, 1 / math.sqrt(sub.weight[0].numel()))
            if sub.bias is not None:
                sub.bias.normal_(0, 0.5)


# ---------------------------------------------------------------- re-typed references

class TemporalMHSA(nn.Module):
    """Self-attention over the T frames of each spatial position: [N, T, C, H, W] ->
    [N*H*W, T, C] -> timm Attention(dim=C, ...) -> back."""

    def __init__(self, dim, **kw):
        super().__init__()
        self.attn = Attention(dim, **kw)

    def forward(self, x):
        n, t, c, h, w = x.shape
        y = x.permute(0, 3, 4, 1, 2).reshape(n * h * w, t, c)
        y = self.attn(y)
        return y.reshape(n, h, w, t, c).permute(0, 3, 4, 1, 2)


class TAM(nn.Module):
    """liu-zhy/temporal-adaptive-module ops/tam.py TAM, re-typed; the official code's fixed
    ratios 2 (G) and 4 (L) are the keyword arguments alpha and beta."""

    def __init__(self, in_channels, n_segment, kernel_size=3, stride=1, padding=1, alpha=2, beta=4):
        super(TAM, self).__init__()
        self.in_channels = in_channels
        self.n_segment = n_segment
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding

        self.G = nn.Sequential(
            nn.Linear(n_segment, n_segment * alpha, bias=False),
            nn.BatchNorm1d(n_segment * alpha), nn.ReLU(inplace=True),
            nn.Linear(n_segment * alpha, kernel_size, bias=False), nn.Softmax(-1))

        self.L = nn.Sequential(
            nn.Conv1d(in_channels, in_channels // beta, kernel_size, stride=1,
                      padding=kernel_size // 2, bias=False),
            nn.BatchNorm1d(in_channels // beta), nn.ReLU(inplace=True),
            nn.Conv1d(in_channels // beta, in_channels, 1, bias=False), nn.Sigmoid())

    def forward(self, x):
        nt, c, h, w = x.size()
        t = self.n_segment
        n_batch = nt // t
        new_x = x.view(n_batch, t, c, h, w).permute(0, 2, 1, 3, 4).contiguous()
        out = F.adaptive_avg_pool2d(new_x.view(n_batch * c, t, h, w), (1, 1))
        out = out.view(-1, t)
        conv_kernel = self.G(out.view(-1, t)).view(n_batch * c, 1, -1, 1)
        local_activation = self.L(out.view(n_batch, c, t)).view(n_batch, c, t, 1, 1)
        new_x = new_x * local_activation
        out = F.conv2d(new_x.view(1, n_batch * c, t, h * w), conv_kernel, bias=None,
                       stride=(self.stride, 1), padding=(self.padding, 0), groups=n_batch * c)
        out = out.view(n_batch, c, t, h, w)
        out = out.permute(0, 2, 1, 3, 4).contiguous().view(nt, c, h, w)
        return out


class NONLocalBlock3D(nn.Module):
    """AlexHex7/Non-local_pytorch lib/non_local_embedded_gaussian.py _NonLocalBlockND with
    dimension=3 (NONLocalBlock3D), re-typed for the 3-D case."""

    def __init__(self, in_channels, inter_channels=None, sub_sample=True, bn_layer=True):
        super().__init__()
        self.sub_sample = sub_sample
        self.in_channels = in_channels
        self.inter_channels = inter_channels
        if self.inter_channels is None:
            self.inter_channels = in_channels // 2
            if self.inter_channels == 0:
                self.inter_channels = 1
        conv_nd = nn.Conv3d
        max_pool_layer = nn.MaxPool3d(kernel_size=(1, 2, 2))
        bn = nn.BatchNorm3d
        self.g = conv_nd(self.in_channels, self.inter_channels, kernel_size=1, stride=1, padding=0)
        if bn_layer:
            self.W = nn.Sequential(
                conv_nd(self.inter_channels, self.in_channels, kernel_size=1, stride=1, padding=0),
                bn(self.in_channels))
            nn.init.constant_(self.W[1].weight, 0)
            nn.init.constant_(self.W[1].bias, 0)
        else:
            self.W = conv_nd(self.inter_channels, self.in_channels, kernel_size=1, stride=1, padding=0)
            nn.init.constant_(self.W.weight, 0)
            nn.init.constant_(self.W.bias, 0)
        self.theta = conv_nd(self.in_channels, self.inter_channels, kernel_size=1, stride=1, padding=0)
        self.phi = conv_nd(self.in_channels, self.inter_channels, kernel_size=1, stride=1, padding=0)
        if sub_sample:
            self.g = nn.Sequential(self.g, max_pool_layer)
            self.phi = nn.Sequential(self.phi, max_pool_layer)

    def forward(self, x):
        batch_size = x.size(0)
        g_x = self.g(x).view(batch_size, self.inter_channels, -1)
        g_x = g_x.permute(0, 2, 1)
        theta_x = self.theta(x).view(batch_size, self.inter_channels, -1)
        theta_x = theta_x.permute(0, 2, 1)
        phi_x = self.phi(x).view(batch_size, self.inter_channels, -1)
        f = torch.matmul(theta_x, phi_x)
        f_div_C = F.softmax(f, dim=-1)
        y = torch.matmul(f_div_C, g_x)
        y = y.permute(0, 2, 1).contiguous()
        y = y.view(batch_size, self.inter_channels, *x.size()[2:])
        W_y = self.W(y)
        return W_y + x


class TSAttention(nn.Module):
    """TimeSformer timesformer/models/vit.py Attention (with_qkv=True), re-typed."""

    def __init__(self, dim, num_heads=8, qkv_bias=False, qk_scale=None):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = qk_scale or head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class TSMlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DividedBlock(nn.Module):
    """TimeSformer vit.py Block(dim, num_heads, attention_type='divided_space_time'), re-typed
    (the divided branch of forward; einops rearranges written as reshape/permute). x is
    [B, 1 + (h w t), C]: the class token, then patch tokens with the frame index fastest.
    forward(x, B, T, W) as the reference; only H*W matters. Eval mode: dropouts and drop path
    are identities."""

    def __init__(self, dim, num_heads, mlp_ratio=4., qkv_bias=False, qk_scale=None, norm_eps=1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = TSAttention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale)
        self.temporal_norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.temporal_attn = TSAttention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale)
        self.temporal_fc = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = TSMlp(dim, int(dim * mlp_ratio))

    def forward(self, x, B, T, W):
        num_spatial_tokens = (x.size(1) - 1) // T
        H = num_spatial_tokens // W
        M = x.size(2)
        ## Temporal
        xt = x[:, 1:, :]
        xt = xt.reshape(B * H * W, T, M)                                   # 'b (h w t) m -> (b h w) t m'
        res_temporal = self.temporal_attn(self.temporal_norm1(xt))
        res_temporal = res_temporal.reshape(B, H * W * T, M)              # '(b h w) t m -> b (h w t) m'
        res_temporal = self.temporal_fc(res_temporal)
        xt = x[:, 1:, :] + res_temporal
        ## Spatial
        init_cls_token = x[:, 0, :].unsqueeze(1)
        cls_token = init_cls_token.repeat(1, T, 1)
        cls_token = cls_token.reshape(B * T, M).unsqueeze(1)               # 'b t m -> (b t) m'
        xs = xt
        xs = xs.reshape(B, H * W, T, M).permute(0, 2, 1, 3).reshape(B * T, H * W, M)  # 'b (h w t) m -> (b t) (h w) m'
        xs = torch.cat((cls_token, xs), 1)
        res_spatial = self.attn(self.norm1(xs))
        ### Taking care of CLS token
        cls_token = res_spatial[:, 0, :]
        cls_token = cls_token.reshape(B, T, M)                             # '(b t) m -> b t m'
        cls_token = torch.mean(cls_token, 1, True)  ## averaging for every frame
        res_spatial = res_spatial[:, 1:, :]
        res_spatial = res_spatial.reshape(B, T, H * W, M).permute(0, 2, 1, 3).reshape(B, H * W * T, M)  # '(b t) (h w) m -> b (h w t) m'
        res = res_spatial
        x = xt
        ## Mlp
        x = torch.cat((init_cls_token, x), 1) + torch.cat((cls_token, res), 1)
        x = x + self.mlp(self.norm2(x))
        return x


# ---------------------------------------------------------------- temporal_mhsa

def _temporal_mhsa_case(name, shape, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: {shape}
layers:
  - tmhsa: {{op: temporal_mhsa{block_args(**kw)}}}
""")
    def _(x):
        m = mod("tmhsa", TemporalMHSA(shape[2], **kw))
        assert not m.attn.fused_attn
        return {"tmhsa": m(x)}


_temporal_mhsa_case("temporal_mhsa_t4_c32_3x5", [2, 4, 32, 3, 5])                       # 8 heads of 4
_temporal_mhsa_case("temporal_mhsa_h3_qkvbias_t5_c12_2x3", [1, 5, 12, 2, 3], num_heads=3, qkv_bias=True)
_temporal_mhsa_case("temporal_mhsa_h2_t3_c10_4x1", [2, 3, 10, 4, 1], num_heads=2)       # 2 heads of 5

# ---------------------------------------------------------------- tam

def _tam_case(name, n, t, c, h, w, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [{n * t}, {c}, {h}, {w}]
layers:
  - tam: {{op: tam, n_segment: {t}{block_args(**kw)}}}
""", x=("offset", 1.0))
    def _(x):
        m = mod("tam", TAM(c, t, **kw))
        calibrate_batchnorms(m, x)
        return {"tam": m(x)}


_tam_case("tam_t8_c24_5x7", 1, 8, 24, 5, 7)                                  # defaults: K 3, C//4 = 6
_tam_case("tam_t6_c20_4x3", 2, 6, 20, 4, 3)                                  # C//4 = 5
_tam_case("tam_t5_c12_k5_p2_a3_b3_3x4", 2, 5, 12, 3, 4, kernel_size=5, padding=2, alpha=3, beta=3)

# ---------------------------------------------------------------- non_local_3d

def _non_local_3d_case(name, shape, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: {shape}
layers:
  - nl: {{op: non_local_3d{block_args(**kw)}}}
""")
    def _(x):
        m = NONLocalBlock3D(shape[1], **kw)
        _init_conv3d(m)
        m = mod("nl", m)   # BatchNorm3d random (not the reference's zero init, which hides W)
        calibrate_batchnorms(m, x)
        return {"nl": m(x)}


_non_local_3d_case("non_local_3d_c16_t4_6x5", [2, 16, 4, 6, 5])              # inter 8, odd W floors
_non_local_3d_case("non_local_3d_c10_t3_4x7", [1, 10, 3, 4, 7])              # inter 5
_non_local_3d_case("non_local_3d_c12_inter3_t2_5x6", [2, 12, 2, 5, 6], inter_channels=3)

# ---------------------------------------------------------------- divided_st_attention

def _divided_case(name, b, h, w, t, dim, **kw):
    @case(BLOCKS, name, f"""
inputs:
  x: [{b}, {1 + h * w * t}, {dim}]
layers:
  - blk: {{op: divided_st_attention, num_frames: {t}{block_args(**kw)}}}
""")
    def _(x):
        heads = kw.get("num_heads", 8)
        m = mod("blk", DividedBlock(dim, heads, **{k: v for k, v in kw.items() if k != "num_heads"}))
        return {"blk": m(x, b, t, w)}


_divided_case("divided_st_attention_2x3_t4_d32", 2, 2, 3, 4, 32)              # 8 heads of 4
_divided_case("divided_st_attention_1x5_t3_d24_h3_qkvbias", 1, 1, 5, 3, 24, num_heads=3, qkv_bias=True)
_divided_case("divided_st_attention_2x2_t2_d20_h2_eps6", 2, 2, 2, 2, 20, num_heads=2, mlp_ratio=2.0, norm_eps=1e-6)
