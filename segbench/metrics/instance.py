"""COCO average precision / recall (pycocotools ``COCOeval`` semantics) from matching results.

Sufficient statistics (:class:`InstanceStats`) are per *block* — one (image, category) pair that
has ground truth or detections — the outcome of greedy matching:

- ``block_image``, ``block_category``: ids; ``block_num_dt``: detections kept (at most
  ``max(max_dets)``, highest scores first); ``block_npig[b, a]``: ground truth that is not ignored
  in area range ``a`` (pycocotools' ``npig`` contribution);
- per detection, in block order and descending score within a block: ``dt_score`` and
  ``dt_code[d, a, t]`` in {FP = 0, TP = 1, IGNORED = 2} per area range ``a`` and IoU threshold
  ``t``.

Blocks of disjoint images merge by concatenation (:func:`merge`); :func:`compute` then sorts
blocks by (category, image id), as pycocotools' ``accumulate`` concatenates them, and builds

- ``precision[T, R, K, A, M]``: interpolated precision at recall thresholds ``R`` (101 points)
  per IoU threshold, category, area range and maxDets, ``-1`` where a category has no
  non-ignored ground truth (in that range);
- ``recall[T, K, A, M]``: recall reached with all kept detections;

and the 12 summary numbers as ``COCOeval.summarize`` does: the mean over entries ``> -1``
(``-1`` -> ``None``). ``AP`` is read at maxDets = 100 literally, the others at the largest
maxDets (pycocotools issue #558); ``fix_maxdets=True`` reads ``AP`` at the largest maxDets too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_AREA_RANGES: tuple[tuple[str, float, float], ...] = (
    ("all", 0.0 ** 2, 1e5 ** 2),
    ("small", 0.0 ** 2, 32.0 ** 2),
    ("medium", 32.0 ** 2, 96.0 ** 2),
    ("large", 96.0 ** 2, 1e5 ** 2),
)
AREA_SUFFIX = {"small": "s", "medium": "m", "large": "l"}


def iou_thresholds() -> np.ndarray:
    """pycocotools ``Params.iouThrs``: ``np.linspace(.5, .95, 10)`` (not ``arange``)."""
    return np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)


def recall_thresholds() -> np.ndarray:
    """pycocotools ``Params.recThrs``: 101 points ``np.linspace(0, 1, 101)``."""
    return np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


@dataclass(frozen=True)
class InstanceParams:
    iou_type: str = "segm"
    max_dets: tuple[int, ...] = (1, 10, 100)
    area_ranges: tuple[tuple[str, float, float], ...] = DEFAULT_AREA_RANGES

    def __post_init__(self):
        object.__setattr__(self, "max_dets", tuple(sorted(int(m) for m in self.max_dets)))

    @property
    def area_array(self) -> np.ndarray:
        return np.array([[lo, hi] for _, lo, hi in self.area_ranges], dtype=np.float64)

    @property
    def area_labels(self) -> list[str]:
        return [name for name, _, _ in self.area_ranges]

    def as_dict(self) -> dict:
        return {
            "iou_type": self.iou_type,
            "iou_thresholds": [round(float(t), 2) for t in iou_thresholds()],
            "recall_points": len(recall_thresholds()),
            "max_dets": list(self.max_dets),
            "area_ranges": {name: [lo, hi] for name, lo, hi in self.area_ranges},
        }


@dataclass
class InstanceStats:
    """Mergeable matching results (see the module docstring)."""

    params: InstanceParams
    category_ids: np.ndarray  # (K,) int64, sorted
    category_names: list[str]
    image_ids: np.ndarray  # (I,) int64, sorted: every evaluated image, with or without blocks
    block_image: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    block_category: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    block_num_dt: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    block_npig: np.ndarray = None  # type: ignore[assignment]  # (B, A) int64
    dt_score: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    dt_code: np.ndarray = None  # type: ignore[assignment]  # (D, A, T) uint8

    def __post_init__(self):
        A = len(self.params.area_ranges)
        T = len(iou_thresholds())
        if self.block_npig is None:
            self.block_npig = np.zeros((0, A), np.int64)
        if self.dt_code is None:
            self.dt_code = np.zeros((0, A, T), np.uint8)

    @property
    def num_images(self) -> int:
        return int(len(self.image_ids))

    @property
    def num_detections(self) -> int:
        return int(len(self.dt_score))


def merge(*parts: InstanceStats) -> InstanceStats:
    """Concatenate the statistics of disjoint image sets (same parameters and categories)."""
    if not parts:
        raise ValueError("merge() needs at least one InstanceStats")
    first = parts[0]
    for p in parts[1:]:
        if p.params != first.params:
            raise ValueError("cannot merge instance statistics computed with different parameters")
        if not np.array_equal(p.category_ids, first.category_ids):
            raise ValueError("cannot merge instance statistics over different category sets")
    image_ids = np.concatenate([p.image_ids for p in parts])
    if len(np.unique(image_ids)) != len(image_ids):
        raise ValueError("cannot merge instance statistics that share images (each image must be evaluated once)")
    return InstanceStats(
        params=first.params,
        category_ids=first.category_ids,
        category_names=list(first.category_names),
        image_ids=np.sort(image_ids),
        block_image=np.concatenate([p.block_image for p in parts]),
        block_category=np.concatenate([p.block_category for p in parts]),
        block_num_dt=np.concatenate([p.block_num_dt for p in parts]),
        block_npig=np.concatenate([p.block_npig for p in parts]),
        dt_score=np.concatenate([p.dt_score for p in parts]),
        dt_code=np.concatenate([p.dt_code for p in parts]),
    )


@dataclass
class InstanceResult:
    precision: np.ndarray  # (T, R, K, A, M)
    recall: np.ndarray  # (T, K, A, M)
    metrics: dict  # summary: AP, AP50, ..., None where undefined
    per_class: list[dict]
    params: InstanceParams


def accumulate_stats(stats: InstanceStats) -> tuple[np.ndarray, np.ndarray]:
    """``precision[T, R, K, A, M]`` and ``recall[T, K, A, M]`` (``-1`` where undefined)."""
    from segbench.kernels.coco import accumulate

    p = stats.params
    thrs, rec = iou_thresholds(), recall_thresholds()
    T, R, K, A, M = len(thrs), len(rec), len(stats.category_ids), len(p.area_ranges), len(p.max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    B = len(stats.block_image)
    dt0 = np.zeros(B, np.int64)
    if B:
        np.cumsum(stats.block_num_dt[:-1], out=dt0[1:])
    kidx = np.searchsorted(stats.category_ids, stats.block_category)
    order = np.lexsort((stats.block_image, kidx))
    ks = kidx[order]
    cat_blk0 = np.searchsorted(ks, np.arange(K + 1)).astype(np.int64)
    rank = np.arange(len(stats.dt_score), dtype=np.int64) - np.repeat(dt0, stats.block_num_dt)
    accumulate(cat_blk0, np.ascontiguousarray(dt0[order]), np.ascontiguousarray(stats.block_num_dt[order]),
               np.ascontiguousarray(stats.block_npig[order]), stats.dt_score, stats.dt_code, rank,
               rec, np.asarray(p.max_dets, np.int64), precision, recall)
    return precision, recall


def _mean_defined(s: np.ndarray) -> float | None:
    """pycocotools ``_summarize``: mean over entries > -1, ``-1`` (here None) if there are none."""
    v = s[s > -1]
    return None if v.size == 0 else float(np.mean(v))


def summary_keys(params: InstanceParams) -> list[str]:
    keys = ["AP", "AP50", "AP75"]
    labels = [lbl for lbl in params.area_labels if lbl != "all"]
    keys += [area_key("AP", lbl) for lbl in labels]
    keys += [f"AR{m}" for m in params.max_dets]
    keys += [area_key("AR", lbl) for lbl in labels]
    return keys


def area_key(prefix: str, label: str) -> str:
    return prefix + AREA_SUFFIX[label] if label in AREA_SUFFIX else f"{prefix}_{label}"


def summarize(precision: np.ndarray, recall: np.ndarray, params: InstanceParams, fix_maxdets: bool = False,
              k: int | None = None) -> dict:
    """The summary numbers (``COCOeval.summarize`` order); ``k`` restricts to one category."""
    thrs = iou_thresholds()
    labels = params.area_labels
    md = list(params.max_dets)
    last = md[-1]

    if k is not None:  # one category: keep the axis, as pycocotools' indexing would
        precision = precision[:, :, k:k + 1]
        recall = recall[:, k:k + 1]

    def pick(ap: bool, iou=None, area="all", max_det=last):
        aind = [i for i, lbl in enumerate(labels) if lbl == area]
        mind = [i for i, m in enumerate(md) if m == max_det]
        s = precision if ap else recall
        if iou is not None:
            s = s[np.where(iou == thrs)[0]]
        # pycocotools: s[:, :, :, aind, mind] (AP) / s[:, :, aind, mind] (AR); same elements, same order
        s = s[..., aind, :][..., mind]
        return _mean_defined(s)

    out = {"AP": pick(True, max_det=last if fix_maxdets else 100), "AP50": pick(True, iou=0.5),
           "AP75": pick(True, iou=0.75)}
    area_labels = [lbl for lbl in labels if lbl != "all"]
    for lbl in area_labels:
        out[area_key("AP", lbl)] = pick(True, area=lbl)
    for m in md:
        out[f"AR{m}"] = pick(False, max_det=m)
    for lbl in area_labels:
        out[area_key("AR", lbl)] = pick(False, area=lbl)
    return out


def compute(stats: InstanceStats, fix_maxdets: bool = False) -> InstanceResult:
    """Accumulate and summarise; per-class rows hold the AP numbers of each category."""
    precision, recall = accumulate_stats(stats)
    params = stats.params
    metrics = summarize(precision, recall, params, fix_maxdets)
    columns = per_class_metrics(precision, recall, params, fix_maxdets)
    gt_counts = per_category_gt(stats)
    per_class = []
    for k, (cid, name) in enumerate(zip(stats.category_ids, stats.category_names)):
        row = {"id": int(cid), "name": name}
        row.update({key: values[k] for key, values in columns.items()})
        row["num_gt"] = int(gt_counts[k])
        per_class.append(row)
    return InstanceResult(precision, recall, metrics, per_class, params)


def per_class_metrics(precision: np.ndarray, recall: np.ndarray, params: InstanceParams,
                      fix_maxdets: bool = False) -> dict[str, list]:
    """Per category: the AP numbers of :func:`summarize` and AR at the largest maxDets.

    Each is the mean of the category's precision entries (or recall entries) over IoU thresholds
    and recall points, ``None`` where the category has no non-ignored ground truth (the
    detectron2 ``COCOEvaluator`` per-category AP, generalised to every summary column).
    """
    thrs = iou_thresholds()
    labels = params.area_labels
    md = list(params.max_dets)
    K = precision.shape[2]

    def mean_rows(s: np.ndarray) -> list:  # s: (K, n) contiguous
        out = []
        for row in s:
            v = row[row > -1]
            out.append(float(np.mean(v)) if v.size else None)
        return out

    def ap(iou=None, area="all", max_det=md[-1]):
        if area not in labels or max_det not in md:
            return [None] * K
        s = precision[:, :, :, labels.index(area), md.index(max_det)]
        if iou is not None:
            s = s[np.where(iou == thrs)[0]]
        return mean_rows(np.ascontiguousarray(np.moveaxis(s, 2, 0)).reshape(K, -1))

    def ar(area="all", max_det=md[-1]):
        s = recall[:, :, labels.index(area), md.index(max_det)]
        return mean_rows(np.ascontiguousarray(s.T))

    cols = {"AP": ap(max_det=md[-1] if fix_maxdets else 100), "AP50": ap(0.5), "AP75": ap(0.75)}
    for lbl in labels:
        if lbl != "all":
            cols[area_key("AP", lbl)] = ap(area=lbl)
    cols[f"AR{md[-1]}"] = ar()
    return cols


def per_category_gt(stats: InstanceStats) -> np.ndarray:
    """Non-ignored ground truth per category in the first area range ("all")."""
    K = len(stats.category_ids)
    if not len(stats.block_category):
        return np.zeros(K, np.int64)
    kidx = np.searchsorted(stats.category_ids, stats.block_category)
    return np.bincount(kidx, weights=stats.block_npig[:, 0], minlength=K).astype(np.int64)
