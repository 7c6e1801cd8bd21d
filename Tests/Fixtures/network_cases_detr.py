"""DETR fixtures against Hugging Face transformers (eager attention, eval, float32):
the `multihead_attention` block (self- and cross-attention) against DetrSelfAttention and
DetrCrossAttention, and Models/detr.yaml at reduced sizes against DetrForObjectDetection with
its timm backbone swapped for a reduced-width timm ResNet (Bottleneck blocks, as
features_only, with HF's frozen BatchNorm), so the state_dict keys are HF's own."""
import torch
import torch.nn as nn
from timm.models._features import FeatureListNet
from timm.models.resnet import Bottleneck, ResNet
from transformers import DetrConfig, DetrForObjectDetection
from transformers.models.detr.modeling_detr import (
    DetrCrossAttention, DetrFrozenBatchNorm2d, DetrSelfAttention, replace_batch_norm)

from fixturelib import case, mod, network

BLOCKS = "blocks"
NETWORKS = "networks"


def _config(**kw):
    """A random-init DetrConfig with the timm backbone, nothing downloaded."""
    return DetrConfig(use_timm_backbone=True, use_pretrained_backbone=False, backbone="resnet18",
                      attn_implementation="eager", **kw)


# ---------------------------------------------------------------- multihead_attention

@case(BLOCKS, "multihead_cross_attention_detr", """
inputs:
  hidden: [2, 5, 16]
  memory: [2, 7, 16]
  query_pos: [2, 5, 16]
  memory_pos: [2, 7, 16]
layers:
  - query: {op: add, from: [hidden, query_pos]}
  - key: {op: add, from: [memory, memory_pos]}
  - attn: {op: multihead_attention, from: [query, key, memory], num_heads: 4}
""")
def _(hidden, memory, query_pos, memory_pos):
    m = mod("attn", DetrCrossAttention(_config(), 16, 4))
    out, _ = m(hidden, memory, position_embeddings=query_pos, encoder_position_embeddings=memory_pos)
    return {"attn": out}


@case(BLOCKS, "multihead_self_attention_detr_nobias", """
inputs:
  x: [1, 9, 12]
  pos: [1, 9, 12]
layers:
  - query_key: {op: add, from: [x, pos]}
  - attn: {op: multihead_attention, from: [query_key, query_key, x], num_heads: 3, bias: false}
""")
def _(x, pos):
    m = mod("attn", DetrSelfAttention(_config(), 12, 3, bias=False))
    out, _ = m(x, position_embeddings=pos)
    return {"attn": out}


# ---------------------------------------------------------------- detr

@torch.no_grad()
def _calibrate_frozen(backbone, x):
    """Frozen BatchNorms in forward order: running stats near the statistics of what each
    sees (mean + N(0, 0.3) std, var * U(0.5, 2)), weight U(0.7, 1.3), bias N(0, 0.5), so
    activations stay O(1) through the stack and every term matters."""
    for bn in [b for b in backbone.modules() if isinstance(b, DetrFrozenBatchNorm2d)]:
        seen = []
        hook = bn.register_forward_pre_hook(lambda _, args: seen.append(args[0].clone()))
        backbone(x.clone())
        hook.remove()
        y = seen[0].transpose(0, 1).flatten(1)
        mean, std, var = y.mean(1), y.std(1), y.var(1)
        bn.running_mean.copy_(mean + torch.randn_like(mean) * 0.3 * std)
        bn.running_var.copy_(var * (torch.rand_like(var) * 1.5 + 0.5) + 1e-3)
        bn.weight.uniform_(0.7, 1.3)
        bn.bias.normal_(0, 0.5)


def _detr_case(name, height, width, d_model, heads, ffn, queries, classes, encoder_layers, decoder_layers,
               backbone_width, depths, batch=1):
    sets = {"height": height, "width": width, "d_model": d_model, "heads": heads, "ffn": ffn, "queries": queries,
            "classes": classes, "encoder_layers": encoder_layers, "decoder_layers": decoder_layers,
            "backbone_width": backbone_width, "depth1": depths[0], "depth2": depths[1], "depth3": depths[2],
            "depth4": depths[3]}
    if batch != 1:
        sets["batch"] = batch

    @network(NETWORKS, name, "Models/detr.yaml", sets)
    def _(x):
        config = _config(d_model=d_model, encoder_attention_heads=heads, decoder_attention_heads=heads,
                         encoder_ffn_dim=ffn, decoder_ffn_dim=ffn, num_queries=queries, num_labels=classes,
                         encoder_layers=encoder_layers, decoder_layers=decoder_layers)
        detr = DetrForObjectDetection(config)
        w = backbone_width
        trunk = ResNet(Bottleneck, list(depths), channels=(w, 2 * w, 4 * w, 8 * w), stem_width=w, num_classes=0)
        backbone = FeatureListNet(trunk, out_indices=(1, 2, 3, 4))
        replace_batch_norm(backbone)
        detr.model.backbone.model = backbone
        detr.model.input_projection = nn.Conv2d(32 * w, d_model, kernel_size=1)
        m = mod("", detr)
        with torch.no_grad():
            m.model.query_position_embeddings.weight.normal_(0, 1)
        _calibrate_frozen(backbone, x)
        out = m(pixel_values=x)
        return {"class_labels_classifier": out.logits, "pred_boxes": out.pred_boxes}


# 3 x 2 feature map (6 tokens), 2 + 2 layers.
_detr_case("detr_net_96x64_d32_q5_l2", 96, 64, d_model=32, heads=4, ffn=48, queries=5, classes=6,
           encoder_layers=2, decoder_layers=2, backbone_width=8, depths=(1, 1, 1, 1))
# 72 x 100 is not a multiple of 32: a 3 x 4 map; 1 encoder and 3 decoder layers, deeper stages.
_detr_case("detr_net_72x100_d16_q7_e1_d3", 72, 100, d_model=16, heads=2, ffn=24, queries=7, classes=3,
           encoder_layers=1, decoder_layers=3, backbone_width=4, depths=(2, 1, 2, 1))
# Two images: the queries and position embeddings are shared across the batch, attention is per image.
_detr_case("detr_net_b2_64x96_d16_q4_l1", 64, 96, d_model=16, heads=2, ffn=24, queries=4, classes=5,
           encoder_layers=1, decoder_layers=1, backbone_width=4, depths=(1, 1, 1, 1), batch=2)
