"""Network fixtures: the example models in Models/*.yaml, with `--set` overrides, against the
timm modules they are written after. The weights are the timm module's own state_dict, so
its key names must be the names the model file produces (layer path + parameter name)."""
from functools import partial

import torch
import torch.nn as nn
from timm.layers import LayerNorm, set_fused_attn
from timm.models.resnet import BasicBlock, Bottleneck
from timm.models.vision_transformer import Block

from fixturelib import mod, network

NETWORKS = "networks"

# Explicit softmax(q k^T * scale) v, not F.scaled_dot_product_attention.
set_fused_attn(False)


@torch.no_grad()
def _calibrate(m, x, revive=()):
    """Visit the modules in forward (= registration) order. Set each BatchNorm's running stats
    near the statistics of the input it actually sees: mean + N(0, 0.3) * std and
    var * U(0.5, 2). Every term still matters, while activations stay O(1) and the SE / CBAM
    sigmoid gates are not saturated (random running_var down to 10**-2.5 would blow up a
    stack of convs). For each conv in `revive` (an SE / CBAM fc1, followed by a ReLU), negate
    the filters whose output is never positive, so that no hidden unit is dead (with CBAM's
    2 or 3 hidden units the whole channel gate could otherwise be a constant 0.5)."""
    revive = set(revive)
    for sub in m.modules():
        is_bn = isinstance(sub, nn.modules.batchnorm._BatchNorm)
        if not is_bn and sub not in revive:
            continue
        seen = []
        if is_bn:
            hook = sub.register_forward_pre_hook(lambda _, args: seen.append(args[0].clone()))
        else:
            hook = sub.register_forward_hook(lambda _, args, out: seen.append(out.clone()))
        m(x.clone())
        hook.remove()
        y = torch.cat(seen).transpose(0, 1).flatten(1)  # channels x values
        if is_bn:
            mean, std, var = y.mean(1), y.std(1), y.var(1)
            sub.running_mean.copy_(mean + torch.randn_like(mean) * 0.3 * std)
            sub.running_var.copy_(var * (torch.rand_like(var) * 1.5 + 0.5))
        else:
            dead = y.amax(1) <= 0
            sub.weight[dead] *= -1
            if sub.bias is not None:
                sub.bias[dead] *= -1


# ---------------------------------------------------------------- se_resnet_block

def _se_resnet_case(name, width, size):
    @network(NETWORKS, name, "Models/se_resnet_block.yaml", {"width": width, "size": size},
             x=("offset", 1.0))
    def _(x):
        m = mod("", BasicBlock(width, width, attn_layer="se"))
        _calibrate(m, x, revive=[m.se.fc1])
        return {"act2": m(x)}


_se_resnet_case("se_resnet_w16_s9", 16, 9)   # SE hidden = make_divisible(1, 8) = 8
_se_resnet_case("se_resnet_w24_s7", 24, 7)   # hidden = make_divisible(1.5, 8) = 8, not 1 or 2
_se_resnet_case("se_resnet_w20_s6", 20, 6)   # width not a multiple of 8; hidden 8

# ---------------------------------------------------------------- cbam_bottleneck

def _cbam_bottleneck_case(name, width, size):
    @network(NETWORKS, name, "Models/cbam_bottleneck.yaml", {"width": width, "size": size},
             x=("offset", 1.0))
    def _(x):
        m = mod("", Bottleneck(4 * width, width, attn_layer="cbam"))
        _calibrate(m, x, revive=[m.se.channel.fc1])  # BNs include se.spatial.conv.bn
        return {"act3": m(x)}


_cbam_bottleneck_case("cbam_bottleneck_w8_s9", 8, 9)    # 32 channels, CBAM hidden 2
_cbam_bottleneck_case("cbam_bottleneck_w12_s7", 12, 7)  # 48 channels, CBAM hidden 3

# ---------------------------------------------------------------- vit_block

def _vit_block_case(name, dim, heads, tokens):
    @network(NETWORKS, name, "Models/vit_block.yaml", {"dim": dim, "heads": heads, "tokens": tokens})
    def _(x):
        # timm's Block default norm_layer is timm.layers.LayerNorm, eps 1e-6 (as the model
        # file's layernorms); spelled out so that a change of that default shows up here.
        m = mod("", Block(dim, num_heads=heads, qkv_bias=True, norm_layer=partial(LayerNorm, eps=1e-6)))
        assert not m.attn.fused_attn
        return {"out": m(x)}


_vit_block_case("vit_block_d48_h3_n10", 48, 3, 10)  # 3 heads of 16
# 8 heads of 5 (scale 5 ** -0.5). dim 64 would make the weights alone 12 * 64**2 floats = 196 KB.
_vit_block_case("vit_block_d40_h8_n17", 40, 8, 17)


# ---------------------------------------------------------------- se_resnet (whole network)

def _se_resnet_net_case(name, width, size, classes, depth, **more):
    @network(NETWORKS, name, "Models/se_resnet.yaml",
             {"width": width, "size": size, "classes": classes, "depth": depth, **more}, x=("offset", 1.0))
    def _(x):
        from timm.models.resnet import ResNet
        m = mod("", ResNet(BasicBlock, [depth] * 4, channels=tuple(width * f for f in (1, 2, 4, 8)),
                           num_classes=classes, block_args=dict(attn_layer="se")))
        _calibrate(m, x, revive=[b.se.fc1 for stage in (m.layer1, m.layer2, m.layer3, m.layer4) for b in stage])
        return {"fc": m(x)}


_se_resnet_net_case("se_resnet_net_w4_s64_d2", 4, 64, 10, 2)   # seresnet18 layout at 1/16 width
_se_resnet_net_case("se_resnet_net_w6_s45_d1", 6, 45, 7, 1)    # odd size: stride-2 layers round up
_se_resnet_net_case("se_resnet_net_w2_s33_d8", 2, 33, 5, 8)    # 8 blocks a stage: past the old 6-block stages
_se_resnet_net_case("se_resnet_net_b2_40x33_w3_d3", 3, 40, 6, 3, batch=2, image_width=33)  # batch 2, non-square


# ---------------------------------------------------------------- vit (whole network)

def _vit_net_case(name, size, patch, dim, depth, heads, classes, batch=1, height=None, width=None):
    sets = {"size": size, "patch": patch, "dim": dim, "depth": depth, "heads": heads, "classes": classes}
    if batch != 1:
        sets["batch"] = batch
    if height:
        sets.update(height=height, width=width)

    @network(NETWORKS, name, "Models/vit.yaml", sets)
    def _(x):
        from timm.models.vision_transformer import VisionTransformer
        m = mod("", VisionTransformer(img_size=(height, width) if height else size, patch_size=patch, embed_dim=dim, depth=depth, num_heads=heads,
                                      qkv_bias=True, num_classes=classes))
        with torch.no_grad():  # the class token and position embedding start at (near) zero in timm
            m.cls_token.normal_(0, 0.5)
            m.pos_embed.normal_(0, 0.5)
        return {"head": m(x)}


_vit_net_case("vit_net_s32_p8_d24_l2_h3", 32, 8, 24, 2, 3, 10)
_vit_net_case("vit_net_s20_p5_d20_l1_h4", 20, 5, 20, 1, 4, 6)
# batch 3 (the class token expanded over the batch), a 4x3-patch non-square image
_vit_net_case("vit_net_b3_32x24_p8_d24_l2_h3", 32, 8, 24, 2, 3, 5, batch=3, height=32, width=24)


# ---------------------------------------------------------------- cbam_resnet, eca_resnet (whole networks)

def _attn_resnet_case(kind, name, width, size, classes, depths):
    sets = {"width": width, "size": size, "classes": classes}
    sets.update({f"depth{i + 1}": d for i, d in enumerate(depths)})

    @network(NETWORKS, name, f"Models/{kind}_resnet.yaml", sets, x=("offset", 1.0))
    def _(x):
        from timm.models.resnet import ResNet
        m = mod("", ResNet(Bottleneck, list(depths), channels=tuple(width * f for f in (1, 2, 4, 8)),
                           num_classes=classes, block_args=dict(attn_layer=kind)))
        revive = [b.se.channel.fc1 for stage in (m.layer1, m.layer2, m.layer3, m.layer4) for b in stage] if kind == "cbam" else []
        _calibrate(m, x, revive=revive)
        return {"fc": m(x)}


_attn_resnet_case("cbam", "cbam_resnet_net_w4_s64", 4, 64, 10, (1, 1, 1, 1))
_attn_resnet_case("cbam", "cbam_resnet_net_w3_s45_d2", 3, 45, 6, (2, 1, 2, 1))
_attn_resnet_case("cbam", "cbam_resnet_net_w2_s64_d7", 2, 64, 5, (1, 3, 7, 2))  # a ResNet-101-like deep third stage
_attn_resnet_case("eca", "eca_resnet_net_w4_s64", 4, 64, 10, (1, 1, 1, 1))
_attn_resnet_case("eca", "eca_resnet_net_w3_s45_d2", 3, 45, 7, (1, 2, 1, 1))
