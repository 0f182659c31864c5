"""torchvision's semantic-segmentation models, built without any download.

``fcn_resnet50``, ``deeplabv3_resnet50`` and ``lraspp_mobilenet_v3_large`` are torchvision's
builders called with ``weights=None, weights_backbone=None, aux_loss=False``; the wrapper returns
the ``"out"`` logits as a tensor. A torchvision weight file for the same architecture loads with
``--weights`` (the classifier is skipped when the class count differs; the auxiliary head of
torchvision's checkpoints is dropped). torchvision has no smaller variant, so ``lite`` and
``full`` build the same network.
"""

from __future__ import annotations

from torch import nn

from segbench.models import register_model
from segbench.models.blocks import check_pooling_batch


class TorchvisionSeg(nn.Module):
    def __init__(self, net: nn.Module, bn_pooling: bool = False):
        super().__init__()
        self.net = net
        self.bn_pooling = bn_pooling

    def forward(self, x):
        if self.bn_pooling:
            check_pooling_batch(self, x, "deeplabv3_resnet50 ASPP image pooling")
        return self.net(x)["out"]


def _tv(builder_name: str, num_classes: int) -> nn.Module:
    from torchvision.models import segmentation

    return getattr(segmentation, builder_name)(weights=None, weights_backbone=None, num_classes=num_classes,
                                               aux_loss=False)


_SAME = {"lite": {}, "full": {}}


@register_model("fcn_resnet50", task="semantic", source="torchvision", paper="torchvision FCN-ResNet50",
                input_size=(520, 520), output_stride={"lite": 8, "full": 8}, presets=_SAME,
                head_keys=("net.classifier.4",))
def fcn_resnet50(num_classes: int) -> nn.Module:
    return TorchvisionSeg(_tv("fcn_resnet50", num_classes))


@register_model("deeplabv3_resnet50", task="semantic", source="torchvision", paper="torchvision DeepLabV3-ResNet50",
                input_size=(520, 520), output_stride={"lite": 8, "full": 8}, presets=_SAME, bn_pooling=True,
                head_keys=("net.classifier.4",))
def deeplabv3_resnet50(num_classes: int) -> nn.Module:
    return TorchvisionSeg(_tv("deeplabv3_resnet50", num_classes), bn_pooling=True)


@register_model("lraspp_mobilenet_v3_large", task="semantic", source="torchvision",
                paper="Howard et al., Searching for MobileNetV3 (LR-ASPP), ICCV 2019", input_size=(520, 520),
                output_stride={"lite": 8, "full": 8}, presets=_SAME,
                head_keys=("net.classifier.low_classifier", "net.classifier.high_classifier"))
def lraspp_mobilenet_v3_large(num_classes: int) -> nn.Module:
    from torchvision.models import segmentation

    return TorchvisionSeg(segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                 num_classes=num_classes))
