"""Network fixtures for the timm-named specs in Models/timm/: each built by
timm.create_model(NAME, channels=..., num_classes=...) at a reduced width, with the timm
depths, so the spec loads that model's own state_dict unchanged. Outputs are the float64
forward pass (see below)."""
import timm

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
