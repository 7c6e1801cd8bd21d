"""Network fixtures for Models/attention_unet.yaml and Models/video_net.yaml, against the authors'
official code re-typed (no timm model exists): the 2-D form of ozan-oktay/Attention-Gated-Networks
unet_grid_attention_3D (as get_network('unet_grid_gating') builds it) and the
facebookresearch/TimeSformer VisionTransformer with divided space-time attention. The module
structure and state_dict names are the reference's."""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import set_fused_attn

from fixturelib import mod, network

NETWORKS = "networks"

set_fused_attn(False)


# BatchNorm running stats near the statistics each one sees (see network_cases._calibrate).
from network_cases import _calibrate  # noqa: E402


# ---------------------------------------------------------------- Attention U-Net (re-typed)
# ozan-oktay/Attention-Gated-Networks models/networks/utils.py (UnetConv3, UnetGridGatingSignal3,
# UnetUp3), models/layers/grid_attention_layer.py (_GridAttentionBlockND) and
# models/networks/unet_grid_attention_3D.py, in 2-D: (3, 3, 1) kernels -> 3x3, (2, 2, 1) pools
# and upsampling -> 2x2 / 2x, 'trilinear' -> 'bilinear'. F.upsample is F.interpolate with the
# same arguments; nn.Upsample(mode='bilinear') has align_corners=None (False) as the reference's
# nn.Upsample(mode='trilinear') on current PyTorch.

class UnetConv2(nn.Module):
    def __init__(self, in_size, out_size, is_batchnorm, kernel_size=(3, 3), padding_size=(1, 1), init_stride=(1, 1)):
        super().__init__()
        if is_batchnorm:
            self.conv1 = nn.Sequential(nn.Conv2d(in_size, out_size, kernel_size, init_stride, padding_size),
                                       nn.BatchNorm2d(out_size),
                                       nn.ReLU(inplace=True),)
            self.conv2 = nn.Sequential(nn.Conv2d(out_size, out_size, kernel_size, 1, padding_size),
                                       nn.BatchNorm2d(out_size),
                                       nn.ReLU(inplace=True),)
        else:
            self.conv1 = nn.Sequential(nn.Conv2d(in_size, out_size, kernel_size, init_stride, padding_size),
                                       nn.ReLU(inplace=True),)
            self.conv2 = nn.Sequential(nn.Conv2d(out_size, out_size, kernel_size, 1, padding_size),
                                       nn.ReLU(inplace=True),)

    def forward(self, inputs):
        outputs = self.conv1(inputs)
        outputs = self.conv2(outputs)
        return outputs


class UnetGridGatingSignal2(nn.Module):
    def __init__(self, in_size, out_size, kernel_size=(1, 1), is_batchnorm=True):
        super().__init__()
        if is_batchnorm:
            self.conv1 = nn.Sequential(nn.Conv2d(in_size, out_size, kernel_size, (1, 1), (0, 0)),
                                       nn.BatchNorm2d(out_size),
                                       nn.ReLU(inplace=True),
                                       )
        else:
            self.conv1 = nn.Sequential(nn.Conv2d(in_size, out_size, kernel_size, (1, 1), (0, 0)),
                                       nn.ReLU(inplace=True),
                                       )

    def forward(self, inputs):
        outputs = self.conv1(inputs)
        return outputs


class UnetUp2(nn.Module):
    """UnetUp3 in 2-D; only is_deconv=False (what get_network builds; 2-D has no deconv op)."""

    def __init__(self, in_size, out_size, is_deconv, is_batchnorm=True):
        super().__init__()
        assert not is_deconv
        self.conv = UnetConv2(in_size + out_size, out_size, is_batchnorm)
        self.up = nn.Upsample(scale_factor=2, mode='bilinear')

    def forward(self, inputs1, inputs2):
        outputs2 = self.up(inputs2)
        offset = outputs2.size()[2] - inputs1.size()[2]
        padding = 2 * [offset // 2, offset // 2]
        outputs1 = F.pad(inputs1, padding)
        return self.conv(torch.cat([outputs1, outputs2], 1))


# _GridAttentionBlockND(dimension=2, mode='concatenation'): the re-typing the attention_gate
# block is checked against, shared from spatial_cases.py.
from spatial_cases import GridAttentionBlock2D  # noqa: E402


class unet_grid_attention_2D(nn.Module):
    def __init__(self, feature_scale=4, n_classes=21, is_deconv=True, in_channels=3,
                 nonlocal_mode='concatenation', attention_dsample=(2, 2), is_batchnorm=True):
        super().__init__()
        self.is_deconv = is_deconv
        self.in_channels = in_channels
        self.is_batchnorm = is_batchnorm
        self.feature_scale = feature_scale

        filters = [64, 128, 256, 512, 1024]
        filters = [int(x / self.feature_scale) for x in filters]

        # downsampling
        self.conv1 = UnetConv2(self.in_channels, filters[0], self.is_batchnorm)
        self.maxpool1 = nn.MaxPool2d(kernel_size=(2, 2))
        self.conv2 = UnetConv2(filters[0], filters[1], self.is_batchnorm)
        self.maxpool2 = nn.MaxPool2d(kernel_size=(2, 2))
        self.conv3 = UnetConv2(filters[1], filters[2], self.is_batchnorm)
        self.maxpool3 = nn.MaxPool2d(kernel_size=(2, 2))
        self.conv4 = UnetConv2(filters[2], filters[3], self.is_batchnorm)
        self.maxpool4 = nn.MaxPool2d(kernel_size=(2, 2))

        self.center = UnetConv2(filters[3], filters[4], self.is_batchnorm)
        self.gating = UnetGridGatingSignal2(filters[4], filters[3], kernel_size=(1, 1), is_batchnorm=self.is_batchnorm)

        # attention blocks
        self.attentionblock2 = GridAttentionBlock2D(in_channels=filters[1], gating_channels=filters[3],
                                                    inter_channels=filters[1], sub_sample_factor=attention_dsample, mode=nonlocal_mode)
        self.attentionblock3 = GridAttentionBlock2D(in_channels=filters[2], gating_channels=filters[3],
                                                    inter_channels=filters[2], sub_sample_factor=attention_dsample, mode=nonlocal_mode)
        self.attentionblock4 = GridAttentionBlock2D(in_channels=filters[3], gating_channels=filters[3],
                                                    inter_channels=filters[3], sub_sample_factor=attention_dsample, mode=nonlocal_mode)

        # upsampling
        self.up_concat4 = UnetUp2(filters[4], filters[3], self.is_deconv, self.is_batchnorm)
        self.up_concat3 = UnetUp2(filters[3], filters[2], self.is_deconv, self.is_batchnorm)
        self.up_concat2 = UnetUp2(filters[2], filters[1], self.is_deconv, self.is_batchnorm)
        self.up_concat1 = UnetUp2(filters[1], filters[0], self.is_deconv, self.is_batchnorm)

        # final conv (without any concat)
        self.final = nn.Conv2d(filters[0], n_classes, 1)

    def forward(self, inputs):
        conv1 = self.conv1(inputs)
        maxpool1 = self.maxpool1(conv1)
        conv2 = self.conv2(maxpool1)
        maxpool2 = self.maxpool2(conv2)
        conv3 = self.conv3(maxpool2)
        maxpool3 = self.maxpool3(conv3)
        conv4 = self.conv4(maxpool3)
        maxpool4 = self.maxpool4(conv4)

        center = self.center(maxpool4)
        gating = self.gating(center)

        g_conv4, att4 = self.attentionblock4(conv4, gating)
        g_conv3, att3 = self.attentionblock3(conv3, gating)
        g_conv2, att2 = self.attentionblock2(conv2, gating)

        up4 = self.up_concat4(g_conv4, center)
        up3 = self.up_concat3(g_conv3, up4)
        up2 = self.up_concat2(g_conv2, up3)
        up1 = self.up_concat1(conv1, up2)

        final = self.final(up1)
        return final


def _unet_case(name, feature_scale, in_channels, n_classes, batch, height, width):
    @network(NETWORKS, name, "Models/attention_unet.yaml",
             {"feature_scale": feature_scale, "in_channels": in_channels, "n_classes": n_classes,
              "batch": batch, "height": height, "width": width}, x=("offset", 1.0))
    def _(x):
        # get_network('unet_grid_gating', ...): is_batchnorm=True, is_deconv=False
        m = mod("", unet_grid_attention_2D(feature_scale=feature_scale, n_classes=n_classes, is_deconv=False,
                                           in_channels=in_channels, nonlocal_mode='concatenation',
                                           attention_dsample=(2, 2), is_batchnorm=True))
        _calibrate(m, x)
        return {"final": m(x)}


# ---------------------------------------------------------------- TimeSformer (re-typed)
# facebookresearch/TimeSformer timesformer/models/vit.py: Attention, Mlp, Block (divided
# space-time branch), PatchEmbed, VisionTransformer; einops rearranges written as
# reshape/permute. Eval mode: dropouts and drop path are identities (left out).

# The divided space-time Block (and its Attention and Mlp) is the re-typing the
# divided_st_attention block is checked against, shared from temporal_cases.py.
from temporal_cases import DividedBlock  # noqa: E402


class PatchEmbed(nn.Module):
    def __init__(self, img_size=224, patch_size=16, in_chans=3, embed_dim=768):
        super().__init__()
        img_size = img_size if isinstance(img_size, tuple) else (img_size, img_size)
        patch_size = patch_size if isinstance(patch_size, tuple) else (patch_size, patch_size)
        num_patches = (img_size[1] // patch_size[1]) * (img_size[0] // patch_size[0])
        self.img_size = img_size
        self.patch_size = patch_size
        self.num_patches = num_patches
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        B, C, T, H, W = x.shape
        x = x.permute(0, 2, 1, 3, 4).reshape(B * T, C, H, W)             # 'b c t h w -> (b t) c h w'
        x = self.proj(x)
        W = x.size(-1)
        x = x.flatten(2).transpose(1, 2)
        return x, T, W


class TimeSformerViT(nn.Module):
    """VisionTransformer(attention_type='divided_space_time') of TimeSformer vit.py."""

    def __init__(self, img_size=224, patch_size=16, in_chans=3, num_classes=1000, embed_dim=768, depth=12,
                 num_heads=12, mlp_ratio=4., qkv_bias=False, qk_scale=None, norm_layer=nn.LayerNorm, num_frames=8):
        super().__init__()
        self.depth = depth
        self.num_classes = num_classes
        self.num_features = self.embed_dim = embed_dim
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.time_embed = nn.Parameter(torch.zeros(1, num_frames, embed_dim))
        self.blocks = nn.ModuleList([
            DividedBlock(dim=embed_dim, num_heads=num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale,
                         norm_eps=getattr(norm_layer, "keywords", {}).get("eps", 1e-5))
            for i in range(self.depth)])
        self.norm = norm_layer(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x):
        B = x.shape[0]
        x, T, W = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(x.size(0), -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        assert x.size(1) == self.pos_embed.size(1)  # (the resizing branch is not exercised)
        x = x + self.pos_embed
        ## Time Embeddings
        cls_tokens = x[:B, 0, :].unsqueeze(1)
        x = x[:, 1:]
        n, m = x.size(1), x.size(2)
        x = x.reshape(B, T, n, m).permute(0, 2, 1, 3).reshape(B * n, T, m)   # '(b t) n m -> (b n) t m'
        assert T == self.time_embed.size(1)
        x = x + self.time_embed
        x = x.reshape(B, n * T, m)                                           # '(b n) t m -> b (n t) m'
        x = torch.cat((cls_tokens, x), dim=1)
        ## Attention blocks
        for blk in self.blocks:
            x = blk(x, B, T, W)
        x = self.norm(x)
        return x[:, 0]

    def forward(self, x):
        x = self.forward_features(x)
        x = self.head(x)
        return x


def _video_case(name, frames, height, width, patch, in_chans, dim, depth, heads, classes, batch=1):
    sets = {"frames": frames, "height": height, "width": width, "patch": patch, "in_chans": in_chans,
            "dim": dim, "depth": depth, "heads": heads, "classes": classes}
    if batch != 1:
        sets["batch"] = batch

    @network(NETWORKS, name, "Models/video_net.yaml", sets)
    def _(x):
        # as the TimeSformer wrapper: qkv_bias=True, LayerNorm eps 1e-6, mlp_ratio 4
        m = mod("", TimeSformerViT(img_size=(height, width), patch_size=patch, in_chans=in_chans,
                                   num_classes=classes, embed_dim=dim, depth=depth, num_heads=heads,
                                   mlp_ratio=4, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6),
                                   num_frames=frames))
        with torch.no_grad():  # zero (or near zero) in the reference: make them matter
            m.cls_token.normal_(0, 0.5)
            m.pos_embed.normal_(0, 0.5)
            m.time_embed.normal_(0, 0.5)
        return {"head": m(x)}


# Attention U-Net: filters int([64, ..., 1024] / feature_scale)
_unet_case("attention_unet_fs28_c3_48x32_b2", 28, 3, 3, 2, 48, 32)    # filters [2, 4, 9, 18, 36]
_unet_case("attention_unet_fs32_c1_32x64", 32, 1, 3, 1, 32, 64)      # filters [2, 4, 8, 16, 32]
# TimeSformer
_video_case("video_net_t3_24x40_p8_d20_l2_h4", 3, 24, 40, 8, 3, 20, 2, 4, 7)   # 3x5 patches, heads of 5
_video_case("video_net_t4_32x32_p8_d24_l1_h3", 4, 32, 32, 8, 2, 24, 1, 3, 10)  # 4x4 patches, 2 channels
_video_case("video_net_b2_t2_16x24_p8_d16_l1_h2", 2, 16, 24, 8, 3, 16, 1, 2, 5, batch=2)  # batch 2: cls expanded
