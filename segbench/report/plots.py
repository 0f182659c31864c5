"""Figures from result records (matplotlib, the optional ``plot`` extra; imported lazily).

- ``per-class``: horizontal bars of the per-class score (semantic IoU, instance AP, panoptic PQ),
  sorted best first, with the dataset-level mean as a dashed line.
- ``confusion``: the row-normalised confusion matrix of a semantic record (``stats.confusion``,
  rows = ground truth): cell ``(g, p)`` = share of class ``g``'s pixels predicted as ``p``.
  Rows with no ground-truth pixels stay empty (grey).
- ``pr``: COCO precision-recall curves of an instance record, one per IoU threshold, from
  ``record["pr"]`` = ``{"iou_thresholds": [T], "recall": [R], "precision": [[R] per threshold]}``
  (area "all", maxDets 100, precision averaged over the categories with ground truth, exactly
  COCOeval's ``eval["precision"][t, :, k, 0, 2]`` averaged over ``k`` ignoring ``-1``; ``null``
  where undefined).

Figures have a fixed size in pixels (``width x height``, default 1000x600) and never use a tight
bounding box, so the file's size is what was asked for. PNG and SVG (by file extension).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from segbench.errors import FormatError, InputError
from segbench.options import parse_pair

KINDS = ("per-class", "confusion", "pr")
FORMATS = (".png", ".svg")
DPI = 100
PER_CLASS_KEY = {"semantic": ("iou", "IoU", "miou"), "instance": ("AP", "AP", "AP"), "panoptic": ("PQ", "PQ", "PQ")}
MEAN_LABEL = {"miou": "mean IoU", "AP": "AP", "PQ": "PQ"}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise InputError("plots need matplotlib: pip install 'segbench[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def check_output(out: str | os.PathLike) -> Path:
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"--out {out}: expected a .png or .svg file name")
    return out


def parse_size(text: str) -> tuple[int, int]:
    """``'1000x600'`` -> ``(1000, 600)`` (width, height in pixels, each 100..10000)."""
    return parse_pair(text, "--size", "WIDTHxHEIGHT in pixels", "1000x600", minimum=100, maximum=10000)


def _figure(size: tuple[int, int], layout: str = "constrained"):
    plt = _pyplot()
    fig = plt.figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout=layout)
    return plt, fig


def _save(plt, fig, out: Path) -> None:
    """Render to memory, then write atomically (no half-written image)."""
    import io

    from segbench.fileio import atomic_write_bytes

    buf = io.BytesIO()
    fmt = out.suffix.lower().lstrip(".")
    try:
        fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": "segbench"} if fmt == "png" else {"Creator": "segbench"})
    finally:
        plt.close(fig)
    atomic_write_bytes(out, buf.getvalue())


def _title(record: dict, what: str) -> str:
    who = record.get("model") or "result"
    data = record.get("dataset")
    return f"{what} — {who}" + (f" on {data}" if data else "")


def plot_per_class(record: dict, out: str | os.PathLike, size: tuple[int, int] = (1000, 600),
                   source: str = "<record>") -> Path:
    out = check_output(out)
    task = record["task"]
    key, label, mean_key = PER_CLASS_KEY[task]
    rows = [r for r in record.get("per_class") or [] if isinstance(r, dict)]
    pairs = []
    for r in rows:
        v = r.get(key)
        if v is not None and isinstance(v, (int, float)) and not math.isnan(v):
            pairs.append((str(r.get("name") if r.get("name") is not None else r.get("id")), float(v)))
    if not pairs:
        raise InputError(f"{source}: no per-class {label} values to plot (per_class rows with '{key}')")
    pairs.sort(key=lambda p: p[1], reverse=True)
    names = [p[0] for p in pairs]
    values = np.array([100.0 * p[1] for p in pairs])
    # height grows with the number of classes so labels never overlap
    size = (size[0], max(size[1], int(60 + 22 * len(pairs))))
    plt, fig = _figure(size)
    ax = fig.add_subplot()
    y = np.arange(len(pairs))
    colors = plt.get_cmap("viridis")(values / 100.0 * 0.85 + 0.1)
    ax.barh(y, values, color=colors, edgecolor="none")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"{label} (%)")
    for yi, v, color in zip(y, values, colors):
        inside = v > 12
        # a box in the bar's colour keeps the number legible where the mean line crosses it
        ax.text(v - 1 if inside else v + 1, yi, f"{v:.1f}", va="center", ha="right" if inside else "left",
                color="white" if inside else "black", fontsize=9, zorder=4,
                bbox=dict(boxstyle="square,pad=0.15", fc=color if inside else "white", ec="none"))
    mean = (record.get("metrics") or {}).get(mean_key)
    if isinstance(mean, (int, float)) and not math.isnan(mean):
        ax.axvline(100.0 * mean, color="crimson", linestyle="--", linewidth=1.2, zorder=3,
                   label=f"{MEAN_LABEL[mean_key]} {100.0 * mean:.1f}")
        ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(_title(record, f"Per-class {label}"))
    _save(plt, fig, out)
    return out


def plot_confusion(record: dict, out: str | os.PathLike, size: tuple[int, int] = (1000, 900),
                   source: str = "<record>") -> Path:
    out = check_output(out)
    if record["task"] != "semantic":
        raise InputError(f"{source}: --kind confusion needs a semantic record, not a {record['task']} record")
    from segbench.report.validate import confusion_matrix

    # square, non-negative integer counts, one row per class of the record
    cm = confusion_matrix(record, source).astype(np.float64)
    n = cm.shape[0]
    names = [str(i) for i in range(n)]
    for r in record.get("per_class") or []:
        if isinstance(r, dict) and isinstance(r.get("id"), int) and 0 <= r["id"] < n and r.get("name") is not None:
            names[r["id"]] = str(r["name"])
    totals = cm.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(totals > 0, cm / np.where(totals > 0, totals, 1), np.nan)
    # constrained layout clips the y label next to a fixed-aspect image; tight layout does not
    plt, fig = _figure(size, layout="tight")
    ax = fig.add_subplot()
    cmap = plt.get_cmap("Blues").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(100.0 * norm), cmap=cmap, vmin=0.0, vmax=100.0, interpolation="nearest")
    ax.set_xticks(np.arange(n), names, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_yticks(np.arange(n), names)
    ax.set_xlabel("prediction")
    ax.set_ylabel("ground truth")
    if n <= 25:
        for g in range(n):
            for p in range(n):
                v = norm[g, p]
                if np.isnan(v):
                    continue
                ax.text(p, g, f"{100 * v:.0f}" if v >= 0.005 or v == 0 else "<1", ha="center", va="center",
                        fontsize=max(6, 12 - n // 3), color="white" if v > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="% of the ground-truth class's pixels")
    ax.set_title(_title(record, "Confusion matrix (rows normalised, %)"))
    _save(plt, fig, out)
    return out


def pr_curves(record: dict, source: str = "<record>") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(iou_thresholds (T,), recall (R,), precision (T, R))`` from ``record["pr"]`` (NaN = undefined)."""
    pr = record.get("pr")
    if not isinstance(pr, dict):
        raise InputError(f"{source}: no 'pr' curves in the record (instance records from segbench eval instance carry them)")
    try:
        thr = np.asarray(pr["iou_thresholds"], dtype=np.float64)
        recall = np.asarray(pr["recall"], dtype=np.float64)
        precision = np.asarray([[np.nan if v is None else v for v in row] for row in pr["precision"]], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"{source}: 'pr' must hold iou_thresholds [T], recall [R] and precision [T][R] numbers") from None
    if precision.shape != (thr.size, recall.size):
        raise FormatError(f"{source}: pr.precision has shape {precision.shape}; expected ({thr.size}, {recall.size})")
    precision[precision < 0] = np.nan  # COCOeval's -1 = undefined
    return thr, recall, precision


def plot_pr(record: dict, out: str | os.PathLike, size: tuple[int, int] = (900, 700), source: str = "<record>") -> Path:
    out = check_output(out)
    if record["task"] != "instance":
        raise InputError(f"{source}: --kind pr needs an instance record, not a {record['task']} record")
    thr, recall, precision = pr_curves(record, source)
    plt, fig = _figure(size)
    ax = fig.add_subplot()
    cmap = plt.get_cmap("viridis")
    for i, (t, row) in enumerate(zip(thr, precision)):
        if np.all(np.isnan(row)):
            continue
        ap = np.nanmean(row)
        ax.plot(recall, row, color=cmap(i / max(1, len(thr) - 1)), linewidth=1.6,
                label=f"IoU={t:.2f}  AP {100 * ap:.1f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision (interpolated)")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="lower left", fontsize=8, title="area all, maxDets 100")
    ap = (record.get("metrics") or {}).get("AP")
    what = "Precision-recall (COCO)" + (f", AP {100 * ap:.1f}" if isinstance(ap, (int, float)) else "")
    ax.set_title(_title(record, what))
    _save(plt, fig, out)
    return out


def plot(record: dict, kind: str, out: str | os.PathLike, size: tuple[int, int] | None = None,
         source: str = "<record>") -> Path:
    """Draw ``kind`` (one of :data:`KINDS`) for ``record`` into ``out`` (.png or .svg)."""
    funcs = {"per-class": plot_per_class, "confusion": plot_confusion, "pr": plot_pr}
    if kind not in funcs:
        raise InputError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    check_output(out)
    from segbench.report.validate import validate_record

    validate_record(record, source)  # no silently skipped class, no out-of-range bar
    kwargs = {"source": source}
    if size is not None:
        kwargs["size"] = size
    return funcs[kind](record, out, **kwargs)
