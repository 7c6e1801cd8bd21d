"""Network fixtures for Models/ir_se_50.yaml and Models/sagan.yaml, against the reference code
re-typed (neither is in timm): face.evoLVe's / InsightFace_Pytorch's model_irse.py Backbone in
mode 'ir_se' (its module structure and state_dict names; widths, units per stage, embedding
size and the output layer's spatial size made arguments, the reference's 64, get_blocks(50),
512 and 7x7 for 112x112 inputs by default) with InsightFace_Pytorch's l2_norm, and
heykeetae/Self-Attention-GAN's sagan_models.Generator for 64x64 images with
torch.nn.utils.spectral_norm in place of the repository's own SpectralNorm wrapper (the
state_dict then holds weight_orig, weight_u, weight_v as PyTorch stores them)."""
from collections import namedtuple

import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm

from channel_spatial_cases import PAM_Module
from fixturelib import mod, network, power_iterate
from network_cases import _calibrate

NETWORKS = "networks"


# ---------------------------------------------------------------- IR-SE (model_irse.py)

class Flatten(nn.Module):
    def forward(self, input):
        return input.view(input.size(0), -1)


def l2_norm(input, axis=1):
    norm = torch.norm(input, 2, axis, True)
    return torch.div(input, norm)


class SEModule(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, padding=0, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, padding=0, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        module_input = x
        x = self.avg_pool(x)
        x = self.fc1(x)
        x = self.relu(x)
        x = self.fc2(x)
        x = self.sigmoid(x)
        return module_input * x


class bottleneck_IR_SE(nn.Module):
    def __init__(self, in_channel, depth, stride):
        super().__init__()
        if in_channel == depth:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channel, depth, (1, 1), stride, bias=False), nn.BatchNorm2d(depth))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channel),
            nn.Conv2d(in_channel, depth, (3, 3), (1, 1), 1, bias=False),
            nn.PReLU(depth),
            nn.Conv2d(depth, depth, (3, 3), stride, 1, bias=False),
            nn.BatchNorm2d(depth),
            SEModule(depth, 16))

    def forward(self, x):
        shortcut = self.shortcut_layer(x)
        res = self.res_layer(x)
        return res + shortcut


class Bottleneck(namedtuple('Block', ['in_channel', 'depth', 'stride'])):
    '''A named tuple describing a ResNet block.'''


def get_block(in_channel, depth, num_units, stride=2):
    return [Bottleneck(in_channel, depth, stride)] + [Bottleneck(depth, depth, 1) for i in range(num_units - 1)]


def get_blocks(units, width):
    """get_blocks(50) is units [3, 4, 14, 3] with width 64."""
    widths = [width, width, 2 * width, 4 * width, 8 * width]
    return [get_block(widths[i], widths[i + 1], units[i]) for i in range(4)]


class Backbone(nn.Module):
    def __init__(self, input_size, units=(3, 4, 14, 3), width=64, embedding=512, normalize=True):
        super().__init__()
        blocks = get_blocks(units, width)
        unit_module = bottleneck_IR_SE
        self.normalize = normalize
        self.input_layer = nn.Sequential(nn.Conv2d(3, width, (3, 3), 1, 1, bias=False),
                                         nn.BatchNorm2d(width),
                                         nn.PReLU(width))
        side = input_size[0] // 16  # 7 for 112x112, 14 for 224x224
        self.output_layer = nn.Sequential(nn.BatchNorm2d(8 * width),
                                          nn.Dropout(),
                                          Flatten(),
                                          nn.Linear(8 * width * side * side, embedding),
                                          nn.BatchNorm1d(embedding))
        modules = []
        for block in blocks:
            for bottleneck in block:
                modules.append(unit_module(bottleneck.in_channel, bottleneck.depth, bottleneck.stride))
        self.body = nn.Sequential(*modules)

    def forward(self, x):
        x = self.input_layer(x)
        x = self.body(x)
        x = self.output_layer(x)
        return l2_norm(x) if self.normalize else x


def _ir_se_case(name, batch, size, width, units, embedding, normalize):
    sets = {"batch": batch, "size": size, "width": width, "units1": units[0], "units2": units[1],
            "units3": units[2], "units4": units[3], "embedding": embedding, "normalize": normalize}

    @network(NETWORKS, name, "Models/ir_se_50.yaml", sets, x=("offset", 1.0))
    def _(x):
        m = mod("", Backbone([size, size], units, width, embedding, normalize))
        fc1s = [sub.fc1 for sub in m.modules() if isinstance(sub, SEModule)]
        _calibrate(m, x, revive=fc1s)
        return {"embedding": m(x)}  # the last layer, a pass-through without normalize


_ir_se_case("ir_se_50_net_w16_s32_u1211_b3", 3, 32, 16, (1, 2, 1, 1), 24, True)
_ir_se_case("ir_se_50_net_w16_s16_u2111_b4_raw", 4, 16, 16, (2, 1, 1, 1), 20, False)


# ---------------------------------------------------------------- SAGAN generator (sagan_models.py)

class Self_Attn(PAM_Module):
    """sagan_models.Self_Attn: the same code as DANet's PAM_Module (which took it from SAGAN),
    with an unused activation, returning the attention map too (unused here)."""

    def __init__(self, in_dim, activation):
        super().__init__(in_dim)
        self.activation = activation

    def forward(self, x):
        return super().forward(x), None


class Generator(nn.Module):
    """Generator, image_size 64 (the reference's only complete layout)."""

    def __init__(self, batch_size, image_size=64, z_dim=100, conv_dim=64):
        super(Generator, self).__init__()
        self.imsize = image_size
        layer1 = []
        layer2 = []
        layer3 = []
        last = []

        repeat_num = int(torch.log2(torch.tensor(float(self.imsize)))) - 3
        mult = 2 ** repeat_num  # 8
        layer1.append(spectral_norm(nn.ConvTranspose2d(z_dim, conv_dim * mult, 4)))
        layer1.append(nn.BatchNorm2d(conv_dim * mult))
        layer1.append(nn.ReLU())

        curr_dim = conv_dim * mult

        layer2.append(spectral_norm(nn.ConvTranspose2d(curr_dim, int(curr_dim / 2), 4, 2, 1)))
        layer2.append(nn.BatchNorm2d(int(curr_dim / 2)))
        layer2.append(nn.ReLU())

        curr_dim = int(curr_dim / 2)

        layer3.append(spectral_norm(nn.ConvTranspose2d(curr_dim, int(curr_dim / 2), 4, 2, 1)))
        layer3.append(nn.BatchNorm2d(int(curr_dim / 2)))
        layer3.append(nn.ReLU())

        if self.imsize == 64:
            layer4 = []
            curr_dim = int(curr_dim / 2)
            layer4.append(spectral_norm(nn.ConvTranspose2d(curr_dim, int(curr_dim / 2), 4, 2, 1)))
            layer4.append(nn.BatchNorm2d(int(curr_dim / 2)))
            layer4.append(nn.ReLU())
            self.l4 = nn.Sequential(*layer4)
            curr_dim = int(curr_dim / 2)

        self.l1 = nn.Sequential(*layer1)
        self.l2 = nn.Sequential(*layer2)
        self.l3 = nn.Sequential(*layer3)

        last.append(nn.ConvTranspose2d(curr_dim, 3, 4, 2, 1))
        last.append(nn.Tanh())
        self.last = nn.Sequential(*last)

        # The reference hard-codes 128 and 64 (conv_dim 64): 2 * conv_dim and conv_dim.
        self.attn1 = Self_Attn(2 * conv_dim, 'relu')
        self.attn2 = Self_Attn(conv_dim, 'relu')

    def forward(self, z):
        z = z.view(z.size(0), z.size(1), 1, 1)
        out = self.l1(z)
        out = self.l2(out)
        out = self.l3(out)
        out, p1 = self.attn1(out)
        out = self.l4(out)
        out, p2 = self.attn2(out)
        out = self.last(out)

        return out, p1, p2


@torch.no_grad()
def trained_like(m):
    """Values a trained generator has where the reference initializes constants: u and v
    after power iteration, and gamma (zero at init, so the attention would not count)."""
    power_iterate(m)
    for attn in (m.attn1, m.attn2):
        attn.gamma.fill_(0.7)
        attn.query_conv.weight.mul_(3)  # peaked attention rows, not uniform ones


def _sagan_case(name, batch, z_dim, conv_dim):
    @network(NETWORKS, name, "Models/sagan.yaml", {"batch": batch, "z_dim": z_dim, "conv_dim": conv_dim})
    def _(z):
        m = mod("", Generator(batch, 64, z_dim, conv_dim))
        trained_like(m)
        _calibrate(m.eval(), z, revive=())
        return {"last": m(z)[0]}


_sagan_case("sagan_net_z16_c8_b2", 2, 16, 8)
_sagan_case("sagan_net_z12_c16_b1", 1, 12, 16)
