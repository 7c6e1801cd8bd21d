"""Network fixtures for the timm-named specs in Models/timm/: each built by
timm.create_model(NAME, channels=..., num_classes=...) at a reduced width, with the timm
depths, so the spec loads that model's own state_dict unchanged. Outputs are the float64
forward pass (see below)."""
import timm
import torch

from fixturelib import mod, network
from network_cases import _calibrate

NETWORKS = "networks"


def _timm_resnet_case(name, model, width, size, classes, depths=None):
    sets = {"width": width, "size": size, "classes": classes}
    more = {}
    if depths:  # fewer blocks, as --set depthN=...
        sets.update({f"depth{i + 1}": d for i, d in enumerate(depths)})
        more["layers"] = list(depths)

    @network(NETWORKS, name, f"Models/timm/{model}.yaml", sets, x=("offset", 1.0))
    def _(x):
        m = mod("", timm.create_model(model, pretrained=False, channels=tuple(width * f for f in (1, 2, 4, 8)),
                                      num_classes=classes, **more))
        _calibrate(m, x, revive=[b.se.fc1 for stage in (m.layer1, m.layer2, m.layer3, m.layer4) for b in stage])
        # Sixteen calibrated blocks carry float32 rounding of ~1e-4 into the logits (PyTorch's
        # own float32 result is that far from the exact one): the reference is the float64
        # forward, which every float32 implementation approximates.
        out = m.double()(x.double()).float()
        m.float()
        return {"fc": out}


_timm_resnet_case("timm_seresnet18_w4_s40", "seresnet18", 4, 40, 6)
_timm_resnet_case("timm_seresnet34_w3_s48", "seresnet34", 3, 48, 5)   # depths 3, 4, 6, 3
_timm_resnet_case("timm_seresnet50_w4_s64_d3", "seresnet50", 4, 64, 7, depths=(1, 3, 3, 1))  # Bottleneck


def _timm_vit_case(name, model, size, patch, dim, depth, heads, classes, batch):
    @network(NETWORKS, name, f"Models/timm/{model}.yaml", {"batch": batch, "size": size, "patch": patch, "dim": dim,
                                                            "depth": depth, "heads": heads, "classes": classes})
    def _(x):
        m = mod("", timm.create_model(model, pretrained=False, img_size=size, patch_size=patch, embed_dim=dim,
                                      depth=depth, num_heads=heads, num_classes=classes))
        assert not m.blocks[0].attn.fused_attn
        with torch.no_grad():  # the class token and position embedding start at (near) zero in timm
            m.cls_token.normal_(0, 0.5)
            m.pos_embed.normal_(0, 0.5)
        return {"head": m(x)}


_timm_vit_case("timm_vit_tiny_b2_s32_p8_d24_l2_h3", "vit_tiny_patch16_224", 32, 8, 24, 2, 3, 5, 2)
_timm_vit_case("timm_vit_small_b3_s24_p8_d24_l1_h6", "vit_small_patch16_224", 24, 8, 24, 1, 6, 4, 3)
_timm_vit_case("timm_vit_base_b2_s16_p8_d36_l2_h12", "vit_base_patch16_224", 16, 8, 36, 2, 12, 3, 2)
