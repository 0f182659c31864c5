"""PSPNet (Zhao et al., CVPR 2017): dilated ResNet (output stride 8) + pyramid pooling module.

The pyramid pooling module average-pools the final features to 1x1, 2x2, 3x3 and 6x6 bins, reduces
each to C/4 channels (1x1 conv-BN-ReLU), upsamples them bilinearly back and concatenates them
with the features; a 3x3 conv-BN-ReLU, dropout 0.1 and a 1x1 classifier follow; logits are
upsampled bilinearly to the input size. ``full``: ResNet-50 trunk (the paper's ablation
backbone; torchvision parameter names); ``lite``: a 4-stage ResNet with one basic block per stage
at width 16. The auxiliary loss is not used.
"""

from __future__ import annotations

import torch
from torch import nn

from segbench.models import register_model
from segbench.models.blocks import RESNET50, RESNET_LITE, ResNetBackbone, check_pooling_batch, conv_bn_relu, resize_to


class PyramidPooling(nn.Module):
    def __init__(self, cin: int, bins=(1, 2, 3, 6)):
        super().__init__()
        red = cin // len(bins)
        self.bins = bins
        self.branches = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), conv_bn_relu(cin, red, 1)) for b in bins)
        self.out_channels = cin + red * len(bins)

    def forward(self, x):
        check_pooling_batch(self, x, "pspnet pyramid pooling (1x1 bin)")
        size = x.shape[-2:]
        return torch.cat([x] + [resize_to(b(x), size) for b in self.branches], dim=1)


class PSPNet(nn.Module):
    def __init__(self, num_classes: int, backbone: dict, head: int = 512):
        super().__init__()
        self.backbone = ResNetBackbone(output_stride=8, **backbone)
        self.ppm = PyramidPooling(self.backbone.out_channels)
        self.head = nn.Sequential(conv_bn_relu(self.ppm.out_channels, head), nn.Dropout2d(0.1))
        self.classifier = nn.Conv2d(head, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        f = self.backbone(x)["out"]
        return resize_to(self.classifier(self.head(self.ppm(f))), size)


@register_model("pspnet", task="semantic", paper="Zhao et al., Pyramid Scene Parsing Network, CVPR 2017",
                input_size=(473, 473), output_stride={"lite": 8, "full": 8}, bn_pooling=True,
                presets={"lite": {"backbone": RESNET_LITE, "head": 64}, "full": {"backbone": RESNET50, "head": 512}},
                head_keys=("classifier",))
def pspnet(num_classes: int, **kw) -> nn.Module:
    return PSPNet(num_classes, **kw)
