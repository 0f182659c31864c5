"""FCN-32s, FCN-16s, FCN-8s (Long, Shelhamer & Darrell, CVPR 2015) on a VGG-16 trunk.

- FCN-32s: score the stride-32 ``fc7`` features and upsample 32x with one transposed conv.
- FCN-16s: upsample the stride-32 scores 2x and *add* a 1x1 scoring of ``pool4`` (stride 16),
  then upsample 16x.
- FCN-8s: additionally upsample that sum 2x and add a scoring of ``pool3`` (stride 8), then
  upsample 8x.

The 2x fusion upsamplings are transposed convolutions initialised to bilinear interpolation and the skip scorers to zero
(the paper's initialisation). Instead of the paper's 100-pixel input padding and cropping, input
is zero-padded to a multiple of 32 and the output cropped back, so the output always has the
input's size. ``lite``: VGG-16 at 1/8 width with batch norm, no dropout; ``full``: the paper's
VGG-16 (4096-wide ``fc6`` 7x7 / ``fc7``, dropout 0.5, no batch norm).

With ``record=True`` the module keeps its intermediate score maps in ``self.intermediates``
(used by the tests that check the skip fusion).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segbench.models import register_model
from segbench.models.blocks import conv_bn_relu, pad_to_multiple, scaled, upsample_deconv, vgg_stages

LITE = dict(width=0.125, bn=True, fc=512, fc_kernel=3, dropout=0.0)
FULL = dict(width=1.0, bn=False, fc=4096, fc_kernel=7, dropout=0.5)


class FCN(nn.Module):
    def __init__(self, num_classes: int, stride: int = 8, width=1.0, bn=False, fc=4096, fc_kernel=7,
                 dropout=0.5, record: bool = False):
        super().__init__()
        assert stride in (8, 16, 32)
        self.stride = stride
        self.record = record
        self.intermediates: dict[str, torch.Tensor] = {}
        self.stages, chans = vgg_stages(width, bn)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=False)
        fcw = scaled(fc, width) if width < 1 else fc
        self.fc6 = conv_bn_relu(chans[4], fcw, fc_kernel, bn=bn)
        self.fc7 = conv_bn_relu(fcw, fcw, 1, bn=bn)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.score_fr = nn.Conv2d(fcw, num_classes, 1)
        if stride <= 16:
            self.score_pool4 = nn.Conv2d(chans[3], num_classes, 1)
            self.upscore2 = upsample_deconv(num_classes, 2)
            nn.init.zeros_(self.score_pool4.weight)
            nn.init.zeros_(self.score_pool4.bias)
        if stride == 8:
            self.score_pool3 = nn.Conv2d(chans[2], num_classes, 1)
            self.upscore_pool4 = upsample_deconv(num_classes, 2)
            nn.init.zeros_(self.score_pool3.weight)
            nn.init.zeros_(self.score_pool3.bias)
        # The final stride-32/16/8 upsampling is fixed bilinear interpolation, as in the paper's
        # released models (learning rate 0); F.interpolate computes it without a huge deconvolution.

    def forward(self, x):
        x, (h, w) = pad_to_multiple(x, 32)
        feats = []
        for stage in self.stages:
            x = self.pool(stage(x))
            feats.append(x)
        pool3, pool4, pool5 = feats[2], feats[3], feats[4]
        score = self.score_fr(self.drop(self.fc7(self.drop(self.fc6(pool5)))))
        rec = {"score_fr": score}
        if self.stride <= 16:
            up = self.upscore2(score)
            sp4 = self.score_pool4(pool4)
            score = up + sp4
            rec.update(upscore2=up, score_pool4=sp4, fuse_pool4=score)
        if self.stride == 8:
            up = self.upscore_pool4(score)
            sp3 = self.score_pool3(pool3)
            score = up + sp3
            rec.update(upscore_pool4=up, score_pool3=sp3, fuse_pool3=score)
        out = F.interpolate(score, scale_factor=self.stride, mode="bilinear", align_corners=False)[..., :h, :w]
        if self.record:
            self.intermediates = rec
        return out


def _spec(stride):
    return dict(task="semantic", paper="Long et al., Fully Convolutional Networks, CVPR 2015",
                input_size=(500, 500), output_stride={"lite": stride, "full": stride},
                presets={"lite": LITE, "full": FULL}, head_keys=("score_", "upscore"))


@register_model("fcn32s", **_spec(32))
def fcn32s(num_classes: int, **kw) -> nn.Module:
    return FCN(num_classes, 32, **kw)


@register_model("fcn16s", **_spec(16))
def fcn16s(num_classes: int, **kw) -> nn.Module:
    return FCN(num_classes, 16, **kw)


@register_model("fcn8s", **_spec(8))
def fcn8s(num_classes: int, **kw) -> nn.Module:
    return FCN(num_classes, 8, **kw)
