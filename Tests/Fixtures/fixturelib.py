"""Shared machinery for the PyTorch reference fixtures (see README.md).

A case is a YAML spec (a string) plus a small torch function computing the same thing.
`case()` registers one; `network()` registers one whose spec is a model file of the repo
(Models/*.yaml) with `--set` overrides. `mod()` / `param()` create seeded, randomly
initialised weights inside the running case; `write_case()` writes the four fixture files.
"""
import json
import math
import re
import textwrap
import zlib
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import save_file

CASES = []  # (kind, name, yaml_text or Network, fn, input_inits)
REPO = Path(__file__).resolve().parents[2]


def case(kind, name, body, **inits):
    """Register `fn(**inputs) -> {output_name: tensor}` under Tests/Fixtures/<kind>/<name>.

    `body` is the spec without the `attend:`/`name:` header. `inits` maps an input name to
    how its values are drawn (default: standard normal); see `make_input`.
    """
    text = f"attend: 1\nname: {name}\n" + textwrap.dedent(body).strip("\n") + "\n"

    def register(fn):
        CASES.append((kind, name, text, fn, inits))
        return fn
    return register


class Network:
    """A model file of the repo (path relative to the repo root) with param overrides, as
    `attend ... --set name=value` would take them. Written as case.json instead of a model.yaml."""

    def __init__(self, model, sets, block=None):
        import yaml  # a timm dependency; only the network cases need it
        self.model, self.sets, self.block = model, dict(sets), block
        spec = yaml.safe_load((REPO / model).read_text())
        if block:  # a library block on its `example:` inputs, named as its module's state_dict
            assert not sets, "a library block takes no --set"
            self.layers = []
            self.inputs = dict(spec["blocks"][block]["example"])
            self.outputs = [block]
            return
        params = dict(spec.get("params") or {})
        assert set(self.sets) <= set(params), (model, sorted(set(self.sets) - set(params)))
        params.update(self.sets)
        # Params may read earlier ones (`height: size`), as attend evaluates them: in order.
        for k, v in params.items():
            if isinstance(v, str):
                params[k] = eval(v, {"__builtins__": {"int": int, "min": min, "max": max}}, params)  # noqa: S307
        self.layers = spec["layers"]
        self.inputs = {k: [_eval_dim(v, params) for v in shape]
                       for k, shape in spec["inputs"].items()}
        if "outputs" in spec:
            self.outputs = list(spec["outputs"])
        else:
            name = _layer_name(self.layers[-1])
            assert name, f"{model}: the last layer must be named"
            self.outputs = [name]

    def layer_names(self):
        return [n for n in map(_layer_name, self.layers) if n]

    def json(self):
        if self.block:
            return json.dumps({"model": self.model, "block": self.block}) + "\n"
        return json.dumps({"model": self.model, "set": self.sets}) + "\n"


def _layer_name(layer):
    """`- name: ...` -> name; an unnamed `- {op: ...}` -> None."""
    if isinstance(layer, dict) and "op" not in layer:
        (name,) = layer
        return name
    return None


def _eval_dim(v, params):
    """A shape entry: an int, a param name or an arithmetic expression over params."""
    if isinstance(v, int):
        return v
    r = eval(str(v), {"__builtins__": {}}, params)  # noqa: S307 (trusted repo files)
    assert isinstance(r, int), (v, r)
    return r


def network(kind, name, model, sets, block=None, **inits):
    """Register `fn(**inputs) -> {output_name: tensor}` under Tests/Fixtures/<kind>/<name> for
    the model file `model` (relative to the repo root) with params overridden by `sets`, or
    for the library block `block` of that file run by itself (`attend run FILE --block NAME`).
    Input shapes and output names come from the model file."""
    spec = Network(model, sets, block)

    def register(fn):
        CASES.append((kind, name, spec, fn, inits))
        return fn
    return register


# ---------------------------------------------------------------- spec text (tiny parser)

def spec_inputs(text):
    """`inputs:` block of a spec -> {name: shape}, in order."""
    block = re.search(r"^inputs:\n((?:  .*\n)+)", text, re.M).group(1)
    return {m.group(1): [int(v) for v in m.group(2).split(",") if v.strip()]
            for m in re.finditer(r"^  (\w+): \[(.*)\]", block, re.M)}


def spec_outputs(text):
    """The output names: the `outputs:` list, else the (named) last layer."""
    m = re.search(r"^outputs: \[(.*)\]", text, re.M)
    if m:
        return [s.strip() for s in m.group(1).split(",")]
    layers = re.search(r"^layers:\n((?:  .*\n)+)", text, re.M).group(1)
    last = [l for l in layers.splitlines() if l.startswith("  - ")][-1]
    m = re.match(r"  - (\w+):", last)
    assert m, f"last layer must be named: {last!r}"
    return [m.group(1)]


# ---------------------------------------------------------------- values

def make_input(shape, init):
    """Draw one input. init: None (N(0,1)), ("normal", std), ("uniform", lo, hi),
    ("logscale", scale_shape) = N(0,1) times 10**U(-2.5, 0.5) broadcast from scale_shape
    (rows of very different magnitude, so that norm `eps` visibly matters), or
    ("offset", std) = N(0,1) plus a per-channel (dim 1) N(0, std) offset."""
    kind, *a = init or ("normal", 1.0)
    if kind == "normal":
        return torch.randn(shape) * a[0]
    if kind == "uniform":
        return torch.rand(shape) * (a[1] - a[0]) + a[0]
    if kind == "logscale":
        return torch.randn(shape) * 10 ** (torch.rand(a[0]) * 3 - 2.5)
    if kind == "offset":
        return torch.randn(shape) + torch.randn([1, shape[1]] + [1] * (len(shape) - 2)) * a[0]
    raise ValueError(kind)


class _Case:
    """Collects the weights of the case being generated."""
    def __init__(self):
        self.modules = {}   # layer path -> nn.Module
        self.params = {}    # layer path -> tensor (op: parameter)


_CURRENT = None


@torch.no_grad()
def init_module(m):
    """Random values that make every term matter: weights N(0, 1/fan_in), biases N(0, 0.5),
    norm scales U(0.7, 1.3), BN running_mean N(0, 0.5) and running_var 10**U(-2.5, 0.5)."""
    for sub in m.modules():
        if isinstance(sub, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            sub.weight.normal_(0, 1 / math.sqrt(sub.weight[0].numel()))
            if sub.bias is not None:
                sub.bias.normal_(0, 0.5)
        elif isinstance(sub, nn.ConvTranspose2d):
            # A spectral-normalized module keeps its learned weight as weight_orig.
            w = getattr(sub, "weight_orig", sub.weight)
            w.normal_(0, 1 / math.sqrt(w[:, 0].numel()))
            if sub.bias is not None:
                sub.bias.normal_(0, 0.5)
        elif isinstance(sub, nn.PReLU):
            sub.weight.uniform_(-0.3, 0.6)
        elif isinstance(sub, (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm)):
            if getattr(sub, "weight", None) is not None:
                sub.weight.uniform_(0.7, 1.3)
            if getattr(sub, "bias", None) is not None:
                sub.bias.normal_(0, 0.5)
            if getattr(sub, "running_mean", None) is not None:
                sub.running_mean.normal_(0, 0.5)
                sub.running_var.copy_(10 ** (torch.rand_like(sub.running_var) * 3 - 2.5))


def mod(path, module):
    """Register `module` as the layer at `path` (its state_dict keys get `path.` prefixed;
    path "" registers a whole network, whose state_dict keys are kept as they are)."""
    assert path not in _CURRENT.modules
    init_module(module)
    _CURRENT.modules[path] = module.eval()
    return module


@torch.no_grad()
def power_iterate(m, steps=3):
    """Run torch.nn.utils.spectral_norm's power iteration `steps` times on every
    spectral-normalized submodule (training-mode forwards of that module alone), so the
    stored weight_u and weight_v are near the top singular vectors, as in a trained model."""
    for sub in m.modules():
        if hasattr(sub, "weight_u") and hasattr(sub, "weight_orig"):
            was_training = sub.training
            sub.train()
            x = torch.zeros([1, sub.in_channels] + [1] * (sub.weight_orig.dim() - 2))
            for _ in range(steps):
                sub(x)
            sub.train(was_training)


def param(path, shape):
    """An `op: parameter` layer's tensor, stored under the key `path`."""
    t = torch.randn(shape) * 0.5 + 1.0
    _CURRENT.params[path] = t
    return t


def state_dict():
    sd = {}
    for path, m in _CURRENT.modules.items():
        for k, v in m.state_dict().items():
            sd[f"{path}.{k}" if path else k] = v
    sd.update(_CURRENT.params)
    return sd


# ---------------------------------------------------------------- writing

def _tensors(d):
    out = {}
    for k, v in d.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
        assert v.dtype == torch.float32 or k.endswith("num_batches_tracked"), k
        out[k] = v.detach().clone().contiguous()
    return out


def write_case(root, kind, name, text, fn, inits):
    """Generate one case; returns a summary row."""
    global _CURRENT
    torch.manual_seed(zlib.crc32(f"{kind}/{name}".encode()))
    net = isinstance(text, Network)
    shapes = text.inputs if net else spec_inputs(text)
    assert set(inits) <= set(shapes), (name, inits)
    inputs = {k: make_input(s, inits.get(k)).float() for k, s in shapes.items()}
    _CURRENT = _Case()
    try:
        with torch.no_grad():
            outputs = fn(**{k: v.clone() for k, v in inputs.items()})
        weights = state_dict()
    finally:
        _CURRENT = None
    expected = text.outputs if net else spec_outputs(text)
    assert list(outputs) == expected, (name, list(outputs), expected)
    for k, v in outputs.items():
        assert torch.isfinite(v).all(), (name, k)

    d = Path(root) / kind / name
    d.mkdir(parents=True, exist_ok=True)
    if net:
        assert text.block or {k.split(".")[0] for k in weights} <= set(text.layer_names()), \
            (name, sorted({k.split(".")[0] for k in weights} - set(text.layer_names())))
        (d / "case.json").write_text(text.json())
    else:
        (d / "model.yaml").write_text(text)
    save_file(_tensors(inputs), str(d / "inputs.safetensors"))
    save_file(_tensors(outputs), str(d / "outputs.safetensors"))
    wfile = d / "weights.safetensors"
    if weights:
        save_file(_tensors(weights), str(wfile))
    elif wfile.exists():
        wfile.unlink()
    n_params = sum(v.numel() for k, v in weights.items() if not k.endswith("num_batches_tracked"))
    return (f"{kind}/{name}", n_params,
            ", ".join(f"{k}{list(v.shape)}" for k, v in outputs.items()))


def block_args(**kw):
    """Keyword arguments as the tail of a YAML flow mapping: `, k: v, ...` (bools lowercase)."""
    return "".join(f", {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in kw.items())


@torch.no_grad()
def calibrate_batchnorms(m, *inputs):
    """Set every BatchNorm's running stats near the statistics of what it sees (per-channel
    mean and variance, perturbed), so gates stay unsaturated and outputs O(1)."""
    seen = {}
    hooks = [bn.register_forward_pre_hook(lambda mod_, args, key=name: seen.__setitem__(key, args[0]))
             for name, bn in m.named_modules() if isinstance(bn, nn.modules.batchnorm._BatchNorm)]
    m(*inputs)
    for h in hooks:
        h.remove()
    for name, bn in m.named_modules():
        if name in seen:
            y = seen[name].transpose(0, 1).reshape(bn.num_features, -1)
            mean, std = y.mean(1), y.std(1)
            bn.running_mean.copy_(mean + torch.randn_like(mean) * 0.3 * std)
            bn.running_var.copy_(std ** 2 * (torch.rand_like(std) * 1.5 + 0.5) + 1e-3)
