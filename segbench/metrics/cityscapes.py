"""Cityscapes pixel-level scores exactly as cityscapesScripts' ``evalPixelLevelSemanticLabeling``.

Inputs are the pooled *labelId* confusion matrix ``cm`` (rows = ground truth, 34 x 34 for the
standard table, every pixel counted, nothing dropped) and the instance-weighted sums. With
``E`` = labels that are not ``ignoreInEval`` (the evaluated classes)::

    class IoU(l)      = tp / (tp + fp + fn)         tp = cm[l, l]
                                                     fn = sum_p cm[l, p] - tp   (any prediction,
                                                          ignoreInEval ids included, is a miss)
                                                     fp = sum_{g in E, g != l} cm[g, l]
    class iIoU(l)     = tpW / (tpW + fp + fnW)      for hasInstances classes, where each GT
                        instance (instanceIds > 1000) of size s adds its tp/fn pixel counts
                        weighted by avgClassSize[l] / s
    category IoU(c)   = same with the labels L = E ∩ c pooled: tp = cm[L, L].sum(),
                        fn = cm[L, :].sum() - tp, fp = cm[E \\ c, L].sum()
    category iIoU(c)  = for categories whose labels (id >= 0) all have instances (human,
                        vehicle); L here includes ignoreInEval labels of the category (caravan,
                        trailer), as the official script does: a pixel of a car instance
                        predicted as trailer is a category TP, and fp = cm[E \\ c, L].sum()

A score with a zero denominator is NaN; averages (``miou``, ``iiou``, ``cat_miou``,
``cat_iiou``) are plain means over the non-NaN scores (``getScoreAverage``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class CityscapesInstanceSums:
    """Mergeable instance-weighted sums, keyed by label id / category name."""

    tp_w: dict
    fn_w: dict
    cat_tp_w: dict
    cat_fn_w: dict

    @classmethod
    def empty(cls, instance_labels, instance_categories) -> "CityscapesInstanceSums":
        return cls({l: 0.0 for l in instance_labels}, {l: 0.0 for l in instance_labels},
                   {c: 0.0 for c in instance_categories}, {c: 0.0 for c in instance_categories})


def _ratio(tp, fp, fn) -> float:
    denom = tp + fp + fn
    return float("nan") if denom == 0 else float(tp) / denom


def _average(scores) -> float:
    valid = [s for s in scores if not math.isnan(s)]
    return sum(valid) / len(valid) if valid else float("nan")


def cityscapes_scores(cm: np.ndarray, rows, sums: CityscapesInstanceSums, category_order: list[str]):
    """``(summary, per_label, per_category)``; ``rows`` are the label-table rows with id >= 0."""
    cm = np.asarray(cm, np.int64)
    evaluated = [r.id for r in rows if not r.ignore_in_eval]
    class_iou, class_iiou = {}, {}
    for r in rows:
        if r.ignore_in_eval:
            continue
        l = r.id
        tp = int(cm[l, l])
        fn = int(cm[l, :].sum()) - tp
        fp = int(cm[[g for g in evaluated if g != l], l].sum())
        class_iou[l] = _ratio(tp, fp, fn)
        class_iiou[l] = _ratio(sums.tp_w[l], fp, sums.fn_w[l]) if l in sums.tp_w else float("nan")
    cat_iou, cat_iiou = {}, {}
    for c in category_order:
        members = [r for r in rows if r.category == c]
        labels = [r.id for r in members if not r.ignore_in_eval]
        outside = [g for g in evaluated if next(r for r in rows if r.id == g).category != c]
        if labels:
            tp = int(cm[np.ix_(labels, labels)].sum())
            fn = int(cm[labels, :].sum()) - tp
            fp = int(cm[np.ix_(outside, labels)].sum()) if outside else 0
            cat_iou[c] = _ratio(tp, fp, fn)
        else:
            cat_iou[c] = float("nan")
        if c in sums.cat_tp_w:
            inst_labels = [r.id for r in members]
            fp = int(cm[np.ix_(outside, inst_labels)].sum()) if outside else 0
            cat_iiou[c] = _ratio(sums.cat_tp_w[c], fp, sums.cat_fn_w[c])
        else:
            cat_iiou[c] = float("nan")
    summary = {
        "miou": _average(class_iou.values()),
        "iiou": _average(class_iiou.values()),
        "cat_miou": _average(cat_iou.values()),
        "cat_iiou": _average(cat_iiou.values()),
    }
    return summary, {"iou": class_iou, "iiou": class_iiou}, {"iou": cat_iou, "iiou": cat_iiou}


def instance_counts(instance_ids: np.ndarray, pred: np.ndarray | None, category_members: np.ndarray,
                    category_of_label: np.ndarray):
    """Per GT instance (``instanceIds > 1000``, ids ascending): ``(ids, sizes, tp, cat_tp)``.

    ``tp`` = pixels predicted as the instance's label; ``cat_tp`` = pixels predicted as any label
    of its category (``category_members[c, raw_id]``; category ``-1`` = not tracked -> 0).
    ``pred`` None (missing prediction) gives zero hits. Counted by the Numba kernel
    ``kernels.instance_pixels`` (reference: ``kernels.reference_instance_pixels``).
    """
    from segbench.kernels.instance_pixels import instance_pixel_counts

    if pred is None:
        pred = np.full(instance_ids.shape, 255, np.uint8)
    return instance_pixel_counts(instance_ids, pred, category_members, category_of_label)
