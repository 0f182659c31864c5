"""Bootstrap confidence intervals over images, from the per-image statistics a record carries.

The dataset-level metrics are pooled (sums over images, then ratios), so a resample of images is
summarised by its summed per-image counts. With ``m`` images and ``B`` resamples we draw the image
indices once (``rng.integers(0, m, (B, m))`` with ``numpy.random.default_rng(seed)``), turn them
into a ``(B, m)`` multiplicity matrix ``W`` (how often image ``j`` occurs in resample ``b``), and
get every resample's class counts at once as ``W @ counts`` (``counts`` is ``(m, n)``). The
metrics are then computed on the ``(B, n)`` stacks in one vectorised call:

- semantic records: ``stats.per_image`` = ``{names, tp, gt, pred}`` (``(m, n)`` int counts) ->
  :func:`segbench.metrics.semantic.semantic_metrics` with the record's convention.
- panoptic records: ``stats.per_image`` = ``{names, iou_sum, tp, fp, fn}`` (``(m, c)``, columns in
  the order of ``stats.categories``) -> :func:`panoptic_from_counts` (panopticapi's formulas, the
  things/stuff split from ``stats.isthing`` (one flag per column) or else from ``isthing`` in the
  record's ``per_class`` rows).

The interval is the percentile interval: the ``(100 - ci) / 2`` and ``100 - (100 - ci) / 2``
percentiles of the resampled metric (resamples where the metric is undefined are dropped). The
same seed gives the same interval. Instance (COCO AP) records carry no per-image sums from which
AP can be recomputed, so they get no interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segbench.errors import InputError
from segbench.report import validate

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
MAX_RESAMPLES = 1_000_000  # (resamples,) float64 samples per metric: 8 MB each at most
PANOPTIC_KEYS = ("PQ", "SQ", "RQ", "PQ_th", "SQ_th", "RQ_th", "PQ_st", "SQ_st", "RQ_st")


@dataclass
class Interval:
    """A bootstrap interval of one metric (fractions, like the record's metrics)."""

    low: float
    high: float
    point: float  # the metric recomputed from the pooled per-image counts
    resamples: int  # resamples where the metric was defined


def supports_bootstrap(record: dict) -> bool:
    """True when the record carries per-image statistics the bootstrap can resample."""
    stats = record.get("stats")
    per_image = stats.get("per_image") if isinstance(stats, dict) else None
    if not isinstance(per_image, dict):
        return False
    if record.get("task") == "semantic":
        return all(k in per_image for k in ("tp", "gt", "pred"))
    if record.get("task") == "panoptic":
        return all(k in per_image for k in ("iou_sum", "tp", "fp", "fn"))
    return False


CHUNK_ELEMENTS = 4_000_000  # resample x image cells per block: bounds memory (~100 MB) for any size


def resample_weights(num_images: int, resamples: int, seed: int | np.random.Generator) -> np.ndarray:
    """``(resamples, num_images)`` int64 multiplicities of a bootstrap over images.

    Drawing ``(a, m)`` then ``(b, m)`` indices from one generator gives the same numbers as one
    ``(a + b, m)`` draw, so blocks of resamples reproduce the single-draw result exactly.
    """
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num_images, size=(resamples, num_images))
    flat = (idx + (np.arange(resamples, dtype=np.int64) * num_images)[:, None]).reshape(-1)
    counts = np.bincount(flat, minlength=resamples * num_images)
    return counts.reshape(resamples, num_images)


def resampled_sums(weights: np.ndarray, counts: np.ndarray, integer: bool | None = None) -> np.ndarray:
    """``weights @ counts`` (``(B, m) @ (m, n)``) through BLAS in float64; exact for integer counts
    whose sums stay below 2**53 (rounded back to int64 when ``integer``, default: counts' dtype)."""
    if integer is None:
        integer = np.issubdtype(np.asarray(counts).dtype, np.integer)
    out = np.asarray(weights, dtype=np.float64) @ np.asarray(counts, dtype=np.float64)
    return np.rint(out).astype(np.int64) if integer else out


# ------------------------------------------------------------------ panoptic math


def panoptic_from_counts(iou_sum, tp, fp, fn, isthing) -> dict:
    """PQ/SQ/RQ (all, things, stuff) from per-category sums, as panopticapi's ``pq_average``.

    For category ``c`` with ``tp_c + fp_c + fn_c > 0`` (others are skipped)::

        PQ_c = iou_sum_c / (tp_c + fp_c / 2 + fn_c / 2)
        SQ_c = iou_sum_c / tp_c            (0 when tp_c == 0)
        RQ_c = tp_c / (tp_c + fp_c / 2 + fn_c / 2)

    and each summary is the plain mean over the kept categories of the group (all / things /
    stuff); NaN when a group keeps none. Inputs are ``(c,)`` vectors or ``(k, c)`` stacks (one row
    per resample; outputs then are arrays of length ``k``). ``isthing`` is a ``(c,)`` bool vector.
    """
    iou_sum = np.asarray(iou_sum, dtype=np.float64)
    tp = np.asarray(tp, dtype=np.float64)
    fp = np.asarray(fp, dtype=np.float64)
    fn = np.asarray(fn, dtype=np.float64)
    isthing = np.asarray(isthing, dtype=bool)
    den = tp + 0.5 * fp + 0.5 * fn
    kept = (tp + fp + fn) > 0
    safe = np.where(kept, den, 1.0)
    pq = np.where(kept, iou_sum / safe, 0.0)
    rq = np.where(kept, tp / safe, 0.0)
    sq = np.where(tp > 0, iou_sum / np.where(tp > 0, tp, 1.0), 0.0)
    out = {}
    for suffix, group in (("", np.ones_like(isthing)), ("_th", isthing), ("_st", ~isthing)):
        mask = kept & group
        n = mask.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            for name, values in (("PQ", pq), ("SQ", sq), ("RQ", rq)):
                total = np.where(mask, values, 0.0).sum(axis=-1)
                out[name + suffix] = np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)
    if iou_sum.ndim == 1:
        out = {k: float(v) for k, v in out.items()}
    return out


# ------------------------------------------------------------------ per-record counts


def _check_images(arrays: list[np.ndarray], source: str) -> list[np.ndarray]:
    if arrays[0].shape[0] == 0:
        raise InputError(f"{source}: stats.per_image holds no images; a bootstrap needs at least one")
    return arrays


def check_resampling(resamples, seed) -> None:
    """``resamples`` an integer in [1, MAX_RESAMPLES], ``seed`` an integer >= 0 (one-line InputError)."""
    if isinstance(resamples, bool) or not isinstance(resamples, (int, np.integer)) or not (1 <= resamples <= MAX_RESAMPLES):
        raise InputError(f"--resamples {resamples!r}: expected an integer from 1 to {MAX_RESAMPLES:,}")
    if isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"--seed {seed!r}: expected a non-negative integer")


def resampled_metrics(record: dict, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      source: str = "<record>") -> tuple[dict, dict]:
    """``(point, samples)``: metrics from the pooled per-image counts and ``(resamples,)`` arrays."""
    check_resampling(resamples, seed)
    task = record.get("task")
    if not supports_bootstrap(record):
        raise InputError(f"{source}: a {task} record without stats.per_image cannot be bootstrapped")
    if task == "semantic":
        from segbench.metrics.semantic import semantic_metrics

        counts = _check_images(validate.semantic_per_image(record, source), source)
        convention = record.get("convention") or "default"
        point, _ = semantic_metrics(*(a.sum(0) for a in counts), convention)

        def metrics_of(*stacks):
            return semantic_metrics(*stacks, convention)[0]
    else:
        counts, isthing = validate.panoptic_per_image(record, source)
        counts = _check_images(counts, source)
        point = panoptic_from_counts(*(a.sum(0) for a in counts), isthing)

        def metrics_of(*stacks):
            return panoptic_from_counts(*stacks, isthing)

    m = counts[0].shape[0]
    integer = [np.issubdtype(a.dtype, np.integer) for a in counts]
    as_float = [a.astype(np.float64) for a in counts]
    rng = np.random.default_rng(seed)
    block = max(1, CHUNK_ELEMENTS // m)
    parts: dict[str, list] = {}
    for start in range(0, resamples, block):
        w = resample_weights(m, min(block, resamples - start), rng).astype(np.float64)
        sums = [resampled_sums(w, a, i) for a, i in zip(as_float, integer)]
        for key, values in metrics_of(*sums).items():
            parts.setdefault(key, []).append(np.asarray(values, dtype=np.float64))
    samples = {key: np.concatenate(values) for key, values in parts.items()}
    return point, samples


def bootstrap_intervals(record: dict, ci: float = 95.0, resamples: int = DEFAULT_RESAMPLES,
                        seed: int = DEFAULT_SEED, source: str = "<record>") -> dict[str, Interval]:
    """Percentile intervals (level ``ci`` percent) of every metric the record's counts determine."""
    if not (0.0 < ci < 100.0):
        raise InputError(f"--ci {ci:g}: expected a confidence level in percent, strictly between 0 and 100")
    point, samples = resampled_metrics(record, resamples, seed, source)
    alpha = (100.0 - ci) / 2.0
    out = {}
    for key, values in samples.items():
        values = np.asarray(values, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size == 0 or np.isnan(point[key]):
            continue
        low, high = np.percentile(values, [alpha, 100.0 - alpha])
        out[key] = Interval(float(low), float(high), float(point[key]), int(values.size))
    return out
