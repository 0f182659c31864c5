"""Panoptic quality (Kirillov et al., CVPR 2019) from summed per-category statistics.

Sufficient statistics per category ``c`` (summed over images; they merge by addition):
``iou_sum_c`` (sum of the IoUs of matched pairs), ``tp_c``, ``fp_c``, ``fn_c`` (see
``kernels/panoptic.py`` for how one image's are counted, identical to panopticapi). Then::

    PQ_c = iou_sum_c / (tp_c + fp_c / 2 + fn_c / 2)
    SQ_c = iou_sum_c / tp_c                  (0 when tp_c == 0, as panopticapi)
    RQ_c = tp_c / (tp_c + fp_c / 2 + fn_c / 2)

A category with ``tp_c + fp_c + fn_c == 0`` is undefined (NaN here; panopticapi prints 0 for it,
and so do the record's per-class rows) and skipped by the averages. ``PQ``, ``SQ``, ``RQ`` are plain means of the per-category values over
the remaining categories, ``*_th`` over those with ``isthing`` and ``*_st`` over the others. A
category with ``tp_c == 0`` but ``fp_c + fn_c > 0`` has ``SQ_c = 0`` and still enters the SQ mean,
so the dataset's PQ is in general not SQ x RQ. A mean over no category is NaN (panopticapi
raises ZeroDivisionError there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SUMMARY_KEYS = ("PQ", "SQ", "RQ", "PQ_th", "SQ_th", "RQ_th", "PQ_st", "SQ_st", "RQ_st")


@dataclass
class PanopticStats:
    """Mergeable per-category sums plus the same counts per image (rows in evaluation order).

    ``categories``: category ids (column order), ``isthing``: bool per category, ``names``:
    category names. ``iou_sum`` float64, ``tp``/``fp``/``fn`` int64, each of shape ``(C,)``.
    """

    categories: list[int]
    isthing: np.ndarray
    names: list[str]
    iou_sum: np.ndarray = None  # type: ignore[assignment]
    tp: np.ndarray = None  # type: ignore[assignment]
    fp: np.ndarray = None  # type: ignore[assignment]
    fn: np.ndarray = None  # type: ignore[assignment]
    image_names: list[str] = field(default_factory=list)
    image_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def __post_init__(self):
        c = len(self.categories)
        self.isthing = np.asarray(self.isthing, dtype=bool)
        if self.iou_sum is None:
            self.iou_sum = np.zeros(c, np.float64)
        for key in ("tp", "fp", "fn"):
            if getattr(self, key) is None:
                setattr(self, key, np.zeros(c, np.int64))

    @property
    def num_categories(self) -> int:
        return len(self.categories)

    @property
    def num_images(self) -> int:
        return len(self.image_names)

    def add_image(self, name: str, iou_sum: np.ndarray, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> None:
        self.iou_sum = self.iou_sum + iou_sum
        self.tp = self.tp + tp
        self.fp = self.fp + fp
        self.fn = self.fn + fn
        self.image_names.append(name)
        self.image_rows.append((np.asarray(iou_sum, np.float64), np.asarray(tp, np.int64),
                                np.asarray(fp, np.int64), np.asarray(fn, np.int64)))

    def merge(self, other: "PanopticStats") -> "PanopticStats":
        if list(other.categories) != list(self.categories):
            raise ValueError("cannot merge panoptic stats over different categories")
        return PanopticStats(
            list(self.categories), self.isthing.copy(), list(self.names),
            self.iou_sum + other.iou_sum, self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
            self.image_names + other.image_names, self.image_rows + other.image_rows,
        )

    def per_image(self) -> dict[str, np.ndarray]:
        """``{"iou_sum", "tp", "fp", "fn"}`` arrays of shape ``(num_images, C)``."""
        c = self.num_categories
        out = {}
        for k, key in enumerate(("iou_sum", "tp", "fp", "fn")):
            dtype = np.float64 if key == "iou_sum" else np.int64
            rows = [r[k] for r in self.image_rows]
            out[key] = np.stack(rows).astype(dtype) if rows else np.zeros((0, c), dtype)
        return out


def _mean_over(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean along the last axis over entries where ``mask``; NaN where there are none."""
    n = mask.sum(axis=-1)
    total = np.where(mask, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def pq_metrics(iou_sum, tp, fp, fn, isthing) -> tuple[dict, dict]:
    """Summary and per-category PQ/SQ/RQ from the sums: returns ``(summary, per_class)``.

    Inputs are ``(C,)`` vectors or ``(k, C)`` stacks (one row per resample, e.g. bootstrap);
    summaries are floats or length-``k`` arrays accordingly. ``per_class`` holds float arrays
    ``PQ, SQ, RQ`` (NaN where tp + fp + fn == 0) and ``valid`` (bool).
    """
    iou_sum = np.asarray(iou_sum, dtype=np.float64)
    tp = np.asarray(tp, dtype=np.int64)
    fp = np.asarray(fp, dtype=np.int64)
    fn = np.asarray(fn, dtype=np.int64)
    isthing = np.asarray(isthing, dtype=bool)
    valid = (tp + fp + fn) > 0
    den = tp + 0.5 * fp + 0.5 * fn
    with np.errstate(invalid="ignore", divide="ignore"):
        pq = np.where(valid, iou_sum / np.where(valid, den, 1.0), np.nan)
        rq = np.where(valid, tp / np.where(valid, den, 1.0), np.nan)
        sq = np.where(valid, np.where(tp > 0, iou_sum / np.maximum(tp, 1), 0.0), np.nan)
    summary = {}
    for suffix, mask in (("", valid), ("_th", valid & isthing), ("_st", valid & ~isthing)):
        for key, values in (("PQ", pq), ("SQ", sq), ("RQ", rq)):
            m = _mean_over(values, mask)
            summary[key + suffix] = float(m) if np.ndim(m) == 0 else m
    summary = {k: summary[k] for k in SUMMARY_KEYS}
    return summary, {"PQ": pq, "SQ": sq, "RQ": rq, "valid": valid}


def compute(stats: PanopticStats) -> tuple[dict, dict]:
    """Dataset-level PQ/SQ/RQ (all, things, stuff) and per-category values."""
    return pq_metrics(stats.iou_sum, stats.tp, stats.fp, stats.fn, stats.isthing)
