"""SegNet (Badrinarayanan, Kendall & Cipolla, TPAMI 2017).

Encoder: the 13 convolutions of VGG-16 with batch norm; each 2x2 max pooling keeps its argmax
*indices*. Decoder: mirror stages that first ``MaxUnpool2d`` with the stored indices (sparse
upsampling: each value goes back to the position its maximum came from, zeros elsewhere) and then
densify with conv-BN-ReLU. Input is padded to a multiple of 32, the output cropped back.
``lite``: 1/8 width; ``full``: the paper's widths. With ``record=True`` the unpooled maps are kept
in ``self.intermediates`` (tests check the unpooling).
"""

from __future__ import annotations

from torch import nn

from segbench.models import register_model
from segbench.models.blocks import VGG16, conv_bn_relu, pad_to_multiple, scaled


class SegNet(nn.Module):
    def __init__(self, num_classes: int, width: float = 1.0, record: bool = False):
        super().__init__()
        self.record = record
        self.intermediates: dict = {}
        stages, cur, cin, chans = [], [], 3, []
        for v in VGG16:
            if v == "M":
                stages.append(cur)
                cur = []
            else:
                c = scaled(v, width)
                cur.append(c)
        enc, dec = [], []
        for i, stage in enumerate(stages):
            layers = []
            for c in stage:
                layers.append(conv_bn_relu(cin, c))
                cin = c
            enc.append(nn.Sequential(*layers))
            chans.append(cin)
        # decoder stage i mirrors encoder stage i: convs back down to the previous stage's width
        for i in reversed(range(5)):
            c = chans[i]
            out_c = chans[i - 1] if i > 0 else chans[0]
            n = len(stages[i])
            layers = [conv_bn_relu(c, c) for _ in range(n - 1)] + [conv_bn_relu(c, out_c)]
            dec.append(nn.Sequential(*layers))
        self.encoder = nn.ModuleList(enc)
        self.decoder = nn.ModuleList(dec)
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.classifier = nn.Conv2d(chans[0], num_classes, 3, padding=1)

    def forward(self, x):
        x, (h, w) = pad_to_multiple(x, 32)
        indices, sizes = [], []
        for stage in self.encoder:
            x = stage(x)
            sizes.append(x.shape)
            x, idx = self.pool(x)
            indices.append(idx)
        rec = {}
        for j, stage in enumerate(self.decoder):
            i = 4 - j
            x = self.unpool(x, indices[i], output_size=sizes[i])
            rec[f"unpool{i + 1}"] = x
            x = stage(x)
        if self.record:
            self.intermediates = {"indices": indices, **rec}
        return self.classifier(x)[..., :h, :w]


@register_model("segnet", task="semantic", paper="Badrinarayanan et al., SegNet, TPAMI 2017",
                input_size=(360, 480), output_stride={"lite": 1, "full": 1},
                presets={"lite": {"width": 0.125}, "full": {"width": 1.0}}, head_keys=("classifier",))
def segnet(num_classes: int, **kw) -> nn.Module:
    return SegNet(num_classes, **kw)
