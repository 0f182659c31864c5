"""The DeepLab family (Chen et al.).

- ``deeplabv1`` (ICLR 2015, DeepLab-LargeFOV): VGG-16 whose pool4/pool5 keep stride 1 (3x3
  pooling, stride 1), conv5 dilated by 2, ``fc6`` a 3x3 conv dilated by 12 (1024 wide), ``fc7``
  1x1; output stride 8, bilinear upsampling (no CRF).
- ``deeplabv2`` (TPAMI 2017): dilated ResNet (output stride 8) + ASPP-L: four parallel 3x3
  classifiers with rates 6, 12, 18, 24 whose scores are summed.
- ``deeplabv3`` (arXiv 2017): dilated ResNet (output stride 16) + ASPP with batch norm: 1x1 conv,
  three 3x3 convs (rates 6, 12, 18) and image-level pooling, concatenated and projected by 1x1.
- ``deeplabv3plus`` (ECCV 2018): the v3 encoder plus a decoder: ASPP output upsampled 4x,
  concatenated with the 48-channel reduction of the stride-4 features, two 3x3 convs, 4x up.

``full`` uses ResNet-101 for v2/v3/v3+ (v3+ in the paper also uses Xception; the ResNet-101
variant is the one in its Table 3) and the paper widths; ``lite`` a small ResNet and narrow heads.
"""

from __future__ import annotations

import torch
from torch import nn

from segbench.models import register_model
from segbench.models.blocks import (RESNET101, RESNET_LITE, ResNetBackbone, check_pooling_batch, conv_bn_relu,
                                    resize_to, scaled, vgg_stages)


class DeepLabV1(nn.Module):
    def __init__(self, num_classes: int, width: float = 1.0, bn: bool = False, fc: int = 1024, rate: int = 12,
                 dropout: float = 0.5):
        super().__init__()
        self.stages, chans = vgg_stages(width, bn)
        for block in self.stages[4]:  # conv5: dilation 2
            conv = block[0]
            conv.dilation, conv.padding = (2, 2), (2, 2)
        self.pools = nn.ModuleList([nn.MaxPool2d(3, 2, 1), nn.MaxPool2d(3, 2, 1), nn.MaxPool2d(3, 2, 1),
                                    nn.MaxPool2d(3, 1, 1), nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.AvgPool2d(3, 1, 1))])
        fcw = scaled(fc, width) if width < 1 else fc
        self.fc6 = conv_bn_relu(chans[4], fcw, 3, dilation=rate, bn=bn)
        self.fc7 = conv_bn_relu(fcw, fcw, 1, bn=bn)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.fc8 = nn.Conv2d(fcw, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        for stage, pool in zip(self.stages, self.pools):
            x = pool(stage(x))
        x = self.fc8(self.drop(self.fc7(self.drop(self.fc6(x)))))
        return resize_to(x, size)


class ASPPSum(nn.Module):
    """DeepLab-v2 ASPP-L: parallel dilated 3x3 classifiers, scores summed."""

    def __init__(self, cin: int, num_classes: int, rates=(6, 12, 18, 24)):
        super().__init__()
        self.branches = nn.ModuleList(nn.Conv2d(cin, num_classes, 3, padding=r, dilation=r) for r in rates)

    def forward(self, x):
        return sum(b(x) for b in self.branches)


class DeepLabV2(nn.Module):
    def __init__(self, num_classes: int, backbone: dict, rates=(6, 12, 18, 24)):
        super().__init__()
        self.backbone = ResNetBackbone(output_stride=8, **backbone)
        self.classifier = ASPPSum(self.backbone.out_channels, num_classes, rates)

    def forward(self, x):
        size = x.shape[-2:]
        return resize_to(self.classifier(self.backbone(x)["out"]), size)


class ImagePooling(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = conv_bn_relu(cin, cout, 1)

    def forward(self, x):
        check_pooling_batch(self, x, "deeplabv3 ASPP image pooling")
        return resize_to(self.conv(self.pool(x)), x.shape[-2:])


class ASPP(nn.Module):
    """DeepLab-v3 ASPP: 1x1, 3x3 at ``rates``, image pooling; concat; 1x1 projection."""

    def __init__(self, cin: int, cout: int = 256, rates=(6, 12, 18)):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(cin, cout, 1)] +
                                      [conv_bn_relu(cin, cout, 3, dilation=r) for r in rates] +
                                      [ImagePooling(cin, cout)])
        self.project = nn.Sequential(conv_bn_relu(cout * (len(rates) + 2), cout, 1), nn.Dropout2d(0.1))

    def forward(self, x):
        return self.project(torch.cat([b(x) for b in self.branches], dim=1))


class DeepLabV3(nn.Module):
    def __init__(self, num_classes: int, backbone: dict, aspp: int = 256, rates=(6, 12, 18)):
        super().__init__()
        self.backbone = ResNetBackbone(output_stride=16, **backbone)
        self.aspp = ASPP(self.backbone.out_channels, aspp, rates)
        self.head = conv_bn_relu(aspp, aspp)
        self.classifier = nn.Conv2d(aspp, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        return resize_to(self.classifier(self.head(self.aspp(self.backbone(x)["out"]))), size)


class DeepLabV3Plus(nn.Module):
    def __init__(self, num_classes: int, backbone: dict, aspp: int = 256, low: int = 48, rates=(6, 12, 18)):
        super().__init__()
        self.backbone = ResNetBackbone(output_stride=16, **backbone)
        self.aspp = ASPP(self.backbone.out_channels, aspp, rates)
        self.reduce = conv_bn_relu(self.backbone.low_channels, low, 1)
        self.decoder = nn.Sequential(conv_bn_relu(aspp + low, aspp), conv_bn_relu(aspp, aspp))
        self.classifier = nn.Conv2d(aspp, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        f = self.backbone(x)
        low = self.reduce(f["low"])
        y = resize_to(self.aspp(f["out"]), low.shape[-2:])
        y = self.decoder(torch.cat([y, low], dim=1))
        return resize_to(self.classifier(y), size)


_V1 = "Chen et al., Semantic Image Segmentation with Deep Convolutional Nets and Fully Connected CRFs, ICLR 2015"


@register_model("deeplabv1", task="semantic", paper=_V1, input_size=(321, 321),
                output_stride={"lite": 8, "full": 8}, head_keys=("fc8",),
                presets={"lite": {"width": 0.125, "bn": True, "dropout": 0.0},
                         "full": {"width": 1.0, "bn": False, "dropout": 0.5}})
def deeplabv1(num_classes: int, **kw) -> nn.Module:
    return DeepLabV1(num_classes, **kw)


@register_model("deeplabv2", task="semantic", paper="Chen et al., DeepLab (v2), TPAMI 2017", input_size=(321, 321),
                output_stride={"lite": 8, "full": 8}, head_keys=("classifier",),
                presets={"lite": {"backbone": RESNET_LITE}, "full": {"backbone": RESNET101}})
def deeplabv2(num_classes: int, **kw) -> nn.Module:
    return DeepLabV2(num_classes, **kw)


@register_model("deeplabv3", task="semantic", paper="Chen et al., Rethinking Atrous Convolution, arXiv 2017",
                input_size=(513, 513), output_stride={"lite": 16, "full": 16}, bn_pooling=True,
                head_keys=("classifier",),
                presets={"lite": {"backbone": RESNET_LITE, "aspp": 32}, "full": {"backbone": RESNET101, "aspp": 256}})
def deeplabv3(num_classes: int, **kw) -> nn.Module:
    return DeepLabV3(num_classes, **kw)


@register_model("deeplabv3plus", task="semantic", paper="Chen et al., Encoder-Decoder with Atrous Separable "
                "Convolution (DeepLabv3+), ECCV 2018", input_size=(513, 513),
                output_stride={"lite": 4, "full": 4}, bn_pooling=True, head_keys=("classifier",),
                presets={"lite": {"backbone": RESNET_LITE, "aspp": 32, "low": 16},
                         "full": {"backbone": RESNET101, "aspp": 256, "low": 48}})
def deeplabv3plus(num_classes: int, **kw) -> nn.Module:
    return DeepLabV3Plus(num_classes, **kw)
