"""Building blocks shared by the native models: VGG-16 and ResNet backbones, conv-BN-ReLU,
bilinear-initialised transposed convolutions, padding to a stride multiple."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segbench.errors import InputError

# VGG-16 (configuration D of Simonyan & Zisserman): channels per conv, "M" = 2x2 max pooling.
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def conv_bn_relu(cin: int, cout: int, k: int = 3, dilation: int = 1, bn: bool = True) -> nn.Sequential:
    pad = dilation * (k // 2)
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, padding=pad, dilation=dilation, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def vgg_stages(width: float = 1.0, bn: bool = False) -> tuple[nn.ModuleList, list[int]]:
    """The five VGG-16 conv stages (without their pooling) and their output channels."""
    stages, chans, cur, cin = [], [], [], 3
    for v in VGG16:
        if v == "M":
            stages.append(nn.Sequential(*cur))
            chans.append(cin)
            cur = []
        else:
            c = scaled(v, width)
            cur.append(conv_bn_relu(cin, c, bn=bn))
            cin = c
    return nn.ModuleList(stages), chans


def bilinear_kernel(channels: int, k: int) -> torch.Tensor:
    """Weights making a ConvTranspose2d(channels, channels, k, stride=k//2) bilinear upsampling
    (the FCN initialisation)."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    og = torch.arange(k, dtype=torch.float32)
    filt = 1 - torch.abs(og - center) / factor
    w2 = filt[:, None] * filt[None, :]
    w = torch.zeros(channels, channels, k, k)
    for i in range(channels):
        w[i, i] = w2
    return w


def upsample_deconv(channels: int, factor: int, learnable: bool = True) -> nn.ConvTranspose2d:
    """Exact ``factor`` x upsampling: kernel 2f, stride f, padding f/2 -> output = f * input."""
    up = nn.ConvTranspose2d(channels, channels, 2 * factor, stride=factor, padding=factor // 2, bias=False)
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(channels, 2 * factor))
    up.weight.requires_grad_(learnable)
    return up


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Zero-pad bottom/right so H and W are multiples of ``multiple``; returns the original size."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph))
    return x, (h, w)


def resize_to(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def check_pooling_batch(module: nn.Module, x: torch.Tensor, what: str) -> None:
    """Batch norm on globally pooled features has one value per channel at batch size 1."""
    if module.training and x.shape[0] == 1:
        raise InputError(f"{what}: batch size 1 in training cannot normalise the pooled branch "
                         f"(batch norm on 1x1 features needs more than one value per channel); "
                         f"expected --batch-size >= 2")


# --- ResNet (torchvision-compatible parameter names, so its weight files load) ---------------

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + idt)


class ResNetBackbone(nn.Module):
    """ResNet trunk (He et al. 2016) with atrous stages for a given output stride (8, 16 or 32),
    as in DeepLab/PSPNet: the strides of the last stages become dilations. Returns
    ``{"low": layer1 output (stride 4), "out": layer4 output}``."""

    def __init__(self, depth_or_layers="50", width: int = 64, output_stride: int = 8, stem: int | None = None):
        super().__init__()
        table = {"18": (BasicBlock, (2, 2, 2, 2)), "34": (BasicBlock, (3, 4, 6, 3)),
                 "50": (Bottleneck, (3, 4, 6, 3)), "101": (Bottleneck, (3, 4, 23, 3))}
        if isinstance(depth_or_layers, str):
            block, layers = table[depth_or_layers]
        else:
            block, layers = BasicBlock, tuple(depth_or_layers)
        stem = stem or width
        self.conv1 = nn.Conv2d(3, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        strides = {8: (1, 2, 1, 1), 16: (1, 2, 2, 1), 32: (1, 2, 2, 2)}[output_stride]
        dil = {8: (1, 1, 2, 4), 16: (1, 1, 1, 2), 32: (1, 1, 1, 1)}[output_stride]
        self.inplanes = stem
        for i, (n, s, d) in enumerate(zip(layers, strides, dil)):
            setattr(self, f"layer{i + 1}", self._make(block, width * 2 ** i, n, s, d))
        self.low_channels = width * block.expansion
        self.out_channels = width * 8 * block.expansion
        self.output_stride = output_stride

    def _make(self, block, planes, n, stride, dilation):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * block.expansion))
        first_dil = max(1, dilation // 2) if dilation > 1 else 1
        blocks = [block(self.inplanes, planes, stride, first_dil, down)]
        self.inplanes = planes * block.expansion
        blocks += [block(self.inplanes, planes, 1, dilation) for _ in range(1, n)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        low = self.layer1(x)
        x = self.layer4(self.layer3(self.layer2(low)))
        return {"low": low, "out": x}


RESNET_LITE = dict(depth_or_layers=(1, 1, 1, 1), width=16)
RESNET50 = dict(depth_or_layers="50", width=64)
RESNET101 = dict(depth_or_layers="101", width=64)
