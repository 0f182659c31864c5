"""Panoptic FPN (Kirillov, Girshick, He & Dollar, CVPR 2019): Mask R-CNN plus a semantic head on
the same FPN, merged into a panoptic segmentation with the paper's heuristic.

Semantic head: each FPN level goes through a 3x3 conv-BN-ReLU, is upsampled bilinearly to the
stride-4 level and summed (the paper repeats conv + 2x upsampling per level; one conv per level
is the simplification used here), then a 1x1 classifier and 4x bilinear upsampling. It predicts
the stuff classes plus one "things" class (index 0; stuff classes are 1..S in dataset order), as
in Panoptic FPN / detectron2. Training loss: Mask R-CNN's losses + ``sem_weight`` (0.5) x
pixel-wise cross-entropy.

:func:`merge_panoptic` (detectron2's ``combine_semantic_and_instance_outputs``): instances in
decreasing score with score >= 0.5 are pasted if at most half of their mask is already taken
(only their free pixels are used); then each stuff class of the semantic argmax fills the
remaining free pixels if that area reaches ``stuff_area`` (4096 px in detectron2 at COCO scale;
here by default 0.5% of the image so it scales with small images). Unassigned pixels stay 0 (VOID).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from segbench.models import register_model
from segbench.models.blocks import conv_bn_relu, resize_to
from segbench.models.maskrcnn import build_maskrcnn


class SemanticFPNHead(nn.Module):
    def __init__(self, fpn_channels: int, num_levels: int, num_classes: int, width: int = 128):
        super().__init__()
        self.convs = nn.ModuleList(conv_bn_relu(fpn_channels, width) for _ in range(num_levels))
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        size = feats[0].shape[-2:]
        y = sum(resize_to(conv(f), size) if f.shape[-2:] != size else conv(f) for conv, f in zip(self.convs, feats))
        return self.classifier(y)


class PanopticFPN(nn.Module):
    def __init__(self, num_classes: int, num_things: int, backbone: str = "tiny", sem_width: int = 32,
                 sem_weight: float = 0.5, **det_kw):
        super().__init__()
        self.num_things = num_things
        self.num_stuff = num_classes - num_things
        self.maskrcnn = build_maskrcnn(num_things, backbone=backbone, **det_kw)
        fpn_channels = self.maskrcnn.backbone.out_channels
        self.levels = ["0", "1", "2"] if backbone == "tiny" else ["0", "1", "2", "3"]
        self.sem_head = SemanticFPNHead(fpn_channels, len(self.levels), self.num_stuff + 1, sem_width)
        self.sem_weight = sem_weight

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        m = self.maskrcnn
        original = [tuple(img.shape[-2:]) for img in images]
        det_targets = None
        if targets is not None:
            det_targets = [{k: v for k, v in t.items() if k != "sem"} for t in targets]
        batch, det_targets = m.transform(images, det_targets)
        features = m.backbone(batch.tensors)
        proposals, rpn_losses = m.rpn(batch, features, det_targets)
        detections, roi_losses = m.roi_heads(features, proposals, batch.image_sizes, det_targets)
        sem = resize_to(self.sem_head([features[k] for k in self.levels]), batch.tensors.shape[-2:])
        per_image = [resize_to(sem[i:i + 1, :, :h, :w], size)[0]
                     for i, ((h, w), size) in enumerate(zip(batch.image_sizes, original))]
        if self.training:
            loss = sum(F.cross_entropy(s[None], t["sem"][None], ignore_index=255) for s, t in zip(per_image, targets))
            return {**rpn_losses, **roi_losses, "loss_sem_seg": self.sem_weight * loss / len(images)}
        detections = m.transform.postprocess(detections, batch.image_sizes, original)
        return [{"instances": d, "sem_seg": s} for d, s in zip(detections, per_image)]


def merge_panoptic(instances: dict, sem_seg: torch.Tensor, thing_ids: list[int], stuff_ids: list[int],
                   score_thresh: float = 0.5, overlap_thresh: float = 0.5,
                   stuff_area: int | None = None) -> tuple[np.ndarray, list[dict]]:
    """Combine one image's detections and semantic logits into ``(segments, segments_info)``.

    ``instances``: torchvision output (``masks`` (K, 1, H, W) probabilities, 1-based ``labels``,
    ``scores``); ``thing_ids[l - 1]`` is the category of label ``l``. ``sem_seg``: (S+1, H, W)
    logits, channel 0 = things, channel j = ``stuff_ids[j - 1]``. Segment ids start at 1.
    """
    h, w = sem_seg.shape[-2:]
    if stuff_area is None:
        stuff_area = max(1, int(round(0.005 * h * w)))
    segments = np.zeros((h, w), np.int32)
    info: list[dict] = []
    scores = instances["scores"].detach().cpu().numpy()
    masks = (instances["masks"].detach().cpu().numpy()[:, 0] > 0.5) if len(scores) else np.zeros((0, h, w), bool)
    labels = instances["labels"].detach().cpu().numpy()
    next_id = 1
    for k in np.argsort(-scores, kind="stable"):
        if scores[k] < score_thresh:
            break
        mask = masks[k]
        area = int(mask.sum())
        if area == 0:
            continue
        taken = mask & (segments > 0)
        if taken.sum() / area > overlap_thresh:
            continue
        mask = mask & (segments == 0)
        segments[mask] = next_id
        info.append({"id": next_id, "category_id": int(thing_ids[labels[k] - 1]), "iscrowd": 0,
                     "area": int(mask.sum()), "isthing": True, "score": float(scores[k])})
        next_id += 1
    sem = sem_seg.argmax(0).cpu().numpy()
    for j in np.unique(sem):
        if j == 0:
            continue
        mask = (sem == j) & (segments == 0)
        area = int(mask.sum())
        if area < stuff_area:
            continue
        segments[mask] = next_id
        info.append({"id": next_id, "category_id": int(stuff_ids[j - 1]), "iscrowd": 0, "area": area,
                     "isthing": False})
        next_id += 1
    return segments, info


@register_model("panoptic-fpn", task="panoptic", source="torchvision",
                paper="Kirillov et al., Panoptic Feature Pyramid Networks, CVPR 2019", input_size=(800, 1333),
                default_classes=133, output_stride={"lite": 4, "full": 4}, normalizes_input=True,
                presets={"lite": {"backbone": "tiny", "sem_width": 32},
                         "full": {"backbone": "resnet50_fpn", "sem_width": 128, "min_size": 800, "max_size": 1333}},
                head_keys=("maskrcnn.roi_heads.box_predictor", "maskrcnn.roi_heads.mask_predictor", "sem_head.classifier"))
def panoptic_fpn(num_classes: int, num_things: int | None = None, **kw) -> nn.Module:
    """``num_classes`` = all categories (stuff + things); ``num_things`` of them are things
    (default: COCO's 80 of 133 scaled: all but one class)."""
    if num_things is None:
        num_things = 80 if num_classes == 133 else max(1, num_classes - 1)
    return PanopticFPN(num_classes, num_things, **kw)
