"""Op fixtures: F.pad mode='circular' (used by the library block `ceca`, timm CecaModule)."""
import torch.nn.functional as F

from fixturelib import case

OPS = "ops"


def _circular_case(name, shape, pads):
    @case(OPS, name, f"""
inputs:
  x: {shape}
layers:
  - y: {{op: pad, pads: {pads}, mode: circular}}
""")
    def _(x):
        return {"y": F.pad(x, pads, mode="circular")}


_circular_case("pad_circular_1d", [2, 3, 7], [2, 1])                 # as CecaModule: [N, 1, C]
_circular_case("pad_circular_1d_full", [2, 1, 5], [5, 5])            # pads equal to the axis size
_circular_case("pad_circular_2d", [1, 2, 4, 5], [1, 3, 2, 0])        # left/right, top/bottom differ
_circular_case("pad_circular_3d", [1, 2, 3, 4, 3], [1, 0, 0, 2, 3, 1])
