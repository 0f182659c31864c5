"""Mask R-CNN (He et al., ICCV 2017) through torchvision's ``MaskRCNN`` with a pluggable backbone.

``full``: torchvision's ResNet-50-FPN (``maskrcnn_resnet50_fpn(weights=None,
weights_backbone=None)``). ``lite``: a tiny 3-stage conv trunk (strides 4/8/16, width 16) with a
32-channel FPN, small anchors (12..96 px), a 256-wide box head, a 4x32 mask head, 64 sampled RoIs per image and RoIAlign with one sample per bin — trainable on
a CPU in minutes on the ``shapes`` world. ``num_classes`` counts *thing* classes; the detector
gets one more (label 0 = background). ``min_size``/``max_size`` are torchvision's resize bounds;
``segbench run`` sets them to the training size so images are not upscaled to 800 px.
"""

from __future__ import annotations

from torch import nn

from segbench.models import register_model
from segbench.models.blocks import conv_bn_relu


class TinyTrunk(nn.Module):
    """stem (stride 2) -> layer1 (4) -> layer2 (8) -> layer3 (16); children run in order."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.stem = conv_bn_relu(3, w)
        self.stem_pool = nn.MaxPool2d(2)
        self.layer1 = nn.Sequential(nn.MaxPool2d(2), conv_bn_relu(w, w), conv_bn_relu(w, w))
        self.layer2 = nn.Sequential(nn.MaxPool2d(2), conv_bn_relu(w, 2 * w), conv_bn_relu(2 * w, 2 * w))
        self.layer3 = nn.Sequential(nn.MaxPool2d(2), conv_bn_relu(2 * w, 4 * w), conv_bn_relu(4 * w, 4 * w))
        self.channels = [w, 2 * w, 4 * w]

    def forward(self, x):  # pragma: no cover - wrapped by BackboneWithFPN
        return self.layer3(self.layer2(self.layer1(self.stem_pool(self.stem(x)))))


def tiny_fpn_backbone(width: int = 16, fpn: int = 32):
    from torchvision.models.detection.backbone_utils import BackboneWithFPN

    trunk = TinyTrunk(width)
    return BackboneWithFPN(trunk, {"layer1": "0", "layer2": "1", "layer3": "2"}, trunk.channels, fpn)


def build_maskrcnn(num_things: int, backbone: str = "tiny", min_size: int = 96, max_size: int = 160,
                   width: int = 16, fpn: int = 32):
    """torchvision ``MaskRCNN`` with ``num_things + 1`` classes and the chosen backbone."""
    from torchvision.models.detection import MaskRCNN, maskrcnn_resnet50_fpn

    n = num_things + 1
    if backbone == "resnet50_fpn":
        return maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=n,
                                     min_size=min_size, max_size=max_size)
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
    from torchvision.ops import MultiScaleRoIAlign

    bb = tiny_fpn_backbone(width, fpn)
    anchors = AnchorGenerator(sizes=((12,), (24,), (48,), (96,)), aspect_ratios=((0.5, 1.0, 2.0),) * 4)
    levels = ["0", "1", "2"]
    return MaskRCNN(
        bb, num_classes=None, min_size=min_size, max_size=max_size,
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
        box_roi_pool=MultiScaleRoIAlign(levels, 7, 1),
        box_head=TwoMLPHead(fpn * 49, 256), box_predictor=FastRCNNPredictor(256, n),
        box_batch_size_per_image=64,
        mask_roi_pool=MultiScaleRoIAlign(levels, 14, 1),
        mask_head=MaskRCNNHeads(fpn, (32, 32, 32, 32), 1), mask_predictor=MaskRCNNPredictor(32, 32, n),
    )


@register_model("maskrcnn", task="instance", source="torchvision", paper="He et al., Mask R-CNN, ICCV 2017",
                input_size=(800, 1333), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                default_classes=80, output_stride={"lite": 4, "full": 4}, normalizes_input=True,
                presets={"lite": {"backbone": "tiny"}, "full": {"backbone": "resnet50_fpn", "min_size": 800,
                                                                "max_size": 1333}},
                head_keys=("roi_heads.box_predictor", "roi_heads.mask_predictor"))
def maskrcnn(num_classes: int, **kw) -> nn.Module:
    return build_maskrcnn(num_classes, **kw)
