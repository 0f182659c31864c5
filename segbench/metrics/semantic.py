"""Semantic-segmentation metrics from a pooled confusion matrix.

Orientation: ``cm[g, p]`` counts pixels with ground truth ``g`` and prediction ``p`` (rows =
ground truth, columns = prediction), ignored ground-truth pixels excluded. For class ``i``::

    tp_i   = cm[i, i]
    gt_i   = sum_p cm[i, p] + missed_i     (ground-truth pixels of class i)
    pred_i = sum_g cm[g, i]                (pixels predicted as class i)
    union_i = gt_i + pred_i - tp_i

    IoU_i  = tp_i / union_i                (NaN when union_i == 0)
    acc_i  = tp_i / gt_i                   (NaN when gt_i == 0)
    Dice_i = 2 tp_i / (gt_i + pred_i)      (NaN when gt_i + pred_i == 0)

    pixel_acc = sum_i tp_i / sum_i gt_i
    mean_acc  = mean of acc_i over classes with gt_i > 0
    miou      = mean of IoU_i over classes with union_i > 0   ("default", mmseg/HF rule: a class
                predicted but absent from the ground truth has IoU 0 and counts)
    fwiou     = sum_i (gt_i / sum_j gt_j) IoU_i              (FCN paper)
    mdice     = mean of Dice_i over the classes that enter miou

``missed_i`` counts ground-truth pixels of images that have no prediction at all
(``--allow-missing``): they are false negatives of their class and nobody's false positive.

Conventions (``convention=``):

- ``default``: as above.
- ``detectron2``: detectron2's SemSegEvaluator: only classes with ``gt_i > 0`` are scored;
  IoU/Dice of other classes is NaN (a class predicted but absent from the ground truth does not
  lower mIoU); fwIoU sums over the scored classes.
- ``cityscapes``, ``mapillary``: the formulas of ``default``; these conventions differ in how a
  dataset adapter folds its raw-id confusion matrix into the evaluated classes (predictions of
  non-evaluated ids: a miss, resp. dropped; see ``engine/dataset_eval.py``, docs/conventions.md).
- ``ade20k``: the SceneParsing toolkit: IoU_i = tp_i / (union_i + eps), so a class with union 0
  scores 0 and every class enters the mean; adds ``score = (pixel_acc + miou) / 2``.

The statistics (``SemanticStats``) are int64 sums that merge by addition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from segbench.errors import InputError

CONVENTIONS = ("default", "detectron2", "cityscapes", "mapillary", "ade20k")


@dataclass
class SemanticStats:
    """Mergeable sufficient statistics: the pooled confusion matrix plus per-image class counts.

    ``confusion``: int64 ``(n, n)``, rows = GT, columns = prediction.
    ``missed``: int64 ``(n,)``, GT pixels of images without a prediction (``--allow-missing``).
    Per image (in evaluation order): ``image_names`` and int64 ``(n,)`` vectors of ``tp``, ``gt``
    and ``pred`` counts, which are enough to recompute every metric on any subset of images
    (per-image reports, bootstrap intervals).
    """

    num_classes: int
    confusion: np.ndarray = None  # type: ignore[assignment]
    missed: np.ndarray = None  # type: ignore[assignment]
    image_names: list[str] = field(default_factory=list)
    image_tp: list[np.ndarray] = field(default_factory=list)
    image_gt: list[np.ndarray] = field(default_factory=list)
    image_pred: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self):
        n = self.num_classes
        if self.confusion is None:
            self.confusion = np.zeros((n, n), dtype=np.int64)
        if self.missed is None:
            self.missed = np.zeros(n, dtype=np.int64)

    def add_image(self, name: str, image_confusion: np.ndarray, missed: np.ndarray | None = None) -> None:
        """Add one image's confusion matrix (and, for a missing prediction, its missed GT counts)."""
        self.confusion += image_confusion
        gt = image_confusion.sum(axis=1)
        if missed is not None:
            self.missed += missed
            gt = gt + missed
        self.image_names.append(name)
        self.image_tp.append(np.diagonal(image_confusion).copy())
        self.image_gt.append(gt)
        self.image_pred.append(image_confusion.sum(axis=0))

    def merge(self, other: "SemanticStats") -> "SemanticStats":
        if other.num_classes != self.num_classes:
            raise ValueError(f"cannot merge stats of {self.num_classes} and {other.num_classes} classes")
        return SemanticStats(
            self.num_classes,
            self.confusion + other.confusion,
            self.missed + other.missed,
            self.image_names + other.image_names,
            self.image_tp + other.image_tp,
            self.image_gt + other.image_gt,
            self.image_pred + other.image_pred,
        )

    @property
    def num_images(self) -> int:
        return len(self.image_names)

    def class_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pooled ``(tp, gt, pred)`` vectors."""
        cm = self.confusion
        return np.diagonal(cm).copy(), cm.sum(axis=1) + self.missed, cm.sum(axis=0)

    def per_image_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(tp, gt, pred)`` as int64 arrays of shape ``(num_images, n)``."""
        n = self.num_classes
        stack = lambda rows: np.stack(rows) if rows else np.zeros((0, n), np.int64)  # noqa: E731
        return stack(self.image_tp), stack(self.image_gt), stack(self.image_pred)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def semantic_metrics(tp, gt, pred, convention: str = "default") -> tuple[dict, dict]:
    """Metrics from class-count vectors: returns ``(summary, per_class)``.

    ``summary`` has ``pixel_acc, mean_acc, miou, fwiou, mdice`` (floats, NaN where undefined);
    ``per_class`` has float arrays ``iou, acc, dice`` (NaN where undefined) and int arrays
    ``tp, gt, pred``. Inputs may be ``(n,)`` vectors or ``(k, n)`` stacks (one row per
    resample); summaries are then arrays of length ``k``.
    """
    if convention not in CONVENTIONS:
        raise InputError(f"unknown semantic convention {convention!r}; expected one of {', '.join(CONVENTIONS)}")
    tp = np.asarray(tp, dtype=np.int64)
    gt = np.asarray(gt, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    union = gt + pred - tp
    iou = _ratio(tp, union)
    acc = _ratio(tp, gt)
    dice = _ratio(2 * tp, gt + pred)
    if convention == "detectron2":
        scored = gt > 0
        iou = np.where(scored, iou, np.nan)
        dice = np.where(scored, dice, np.nan)
    else:
        dice = np.where(union > 0, dice, np.nan)
    if convention == "ade20k":
        iou = np.where(union > 0, iou, 0.0)
    total_gt = gt.sum(axis=-1)
    weights = _ratio(gt, np.expand_dims(total_gt, -1))
    with np.errstate(invalid="ignore"):
        fw_terms = np.where(np.isnan(iou), 0.0, iou) * np.nan_to_num(weights)
    fwiou = np.where(total_gt > 0, fw_terms.sum(axis=-1), np.nan)
    pixel_acc = _ratio(tp.sum(axis=-1), total_gt)
    if tp.ndim == 1:
        summary = {
            "pixel_acc": float(pixel_acc),
            "mean_acc": _mean(acc),
            "miou": _mean(iou),
            "fwiou": float(fwiou),
            "mdice": _mean(dice),
        }
        if convention == "ade20k":
            summary["score"] = (summary["pixel_acc"] + summary["miou"]) / 2
    else:
        with np.errstate(invalid="ignore"), _quiet_nanmean():
            summary = {
                "pixel_acc": pixel_acc,
                "mean_acc": np.nanmean(acc, axis=-1),
                "miou": np.nanmean(iou, axis=-1),
                "fwiou": fwiou,
                "mdice": np.nanmean(dice, axis=-1),
            }
            if convention == "ade20k":
                summary["score"] = (summary["pixel_acc"] + summary["miou"]) / 2
    per_class = {"iou": iou, "acc": acc, "dice": dice, "tp": tp, "gt": gt, "pred": pred}
    return summary, per_class


class _quiet_nanmean:
    """Silence numpy's 'Mean of empty slice' for all-NaN rows (their mean is NaN, as intended)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def compute(stats: SemanticStats, convention: str = "default") -> tuple[dict, dict]:
    """Dataset-level metrics (pooled over all pixels of all images)."""
    return semantic_metrics(*stats.class_counts(), convention=convention)
