"""U-Net (Ronneberger, Fischer & Brox, MICCAI 2015).

Four down steps (two 3x3 conv-BN-ReLU, 2x2 max pooling) and four up steps (2x2 transposed conv
halving the channels, *concatenation* with the encoder features of the same resolution, two 3x3
convs). Unlike the paper's valid convolutions, convolutions are padded so the output has the
input's size (input padded to a multiple of 16 and the output cropped back); batch norm added as
is usual today. ``lite``: base width 16; ``full``: base width 64 (the paper's 64..1024). With
``record=True`` the concatenated tensors are kept in ``self.intermediates``.
"""

from __future__ import annotations

import torch
from torch import nn

from segbench.models import register_model
from segbench.models.blocks import conv_bn_relu, pad_to_multiple


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class UNet(nn.Module):
    def __init__(self, num_classes: int, base: int = 64, depth: int = 4, record: bool = False):
        super().__init__()
        self.record = record
        self.intermediates: dict = {}
        self.depth = depth
        chans = [base * 2 ** i for i in range(depth + 1)]
        self.inc = double_conv(3, chans[0])
        self.down = nn.ModuleList(double_conv(chans[i], chans[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in reversed(range(depth)))
        self.dec = nn.ModuleList(double_conv(2 * chans[i], chans[i]) for i in reversed(range(depth)))
        self.outc = nn.Conv2d(chans[0], num_classes, 1)

    def forward(self, x):
        x, (h, w) = pad_to_multiple(x, 2 ** self.depth)
        skips = [self.inc(x)]
        for down in self.down:
            skips.append(down(self.pool(skips[-1])))
        x = skips.pop()
        rec = {}
        for k, (up, dec) in enumerate(zip(self.up, self.dec)):
            skip = skips.pop()
            cat = torch.cat([skip, up(x)], dim=1)
            rec[f"concat{k + 1}"] = cat
            x = dec(cat)
        if self.record:
            self.intermediates = rec
        return self.outc(x)[..., :h, :w]


@register_model("unet", task="semantic", paper="Ronneberger et al., U-Net, MICCAI 2015",
                input_size=(572, 572), output_stride={"lite": 1, "full": 1},
                presets={"lite": {"base": 16}, "full": {"base": 64}}, head_keys=("outc",))
def unet(num_classes: int, **kw) -> nn.Module:
    return UNet(num_classes, **kw)
