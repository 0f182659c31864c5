"""Evaluate semantic-segmentation prediction folders against ground-truth folders.

Streaming: worker threads decode GT/prediction pairs (the decoders release the GIL) while the
calling thread loads the Numba kernels; from then on the workers also count each pair's
confusion matrix (``engine.parallel.two_stage_map``), and the calling thread adds the matrices up
in image order. At most ``engine.buffers.DECODE_AHEAD_BYTES`` of decoded pairs (4 to 64 pairs)
are held at once, so memory is flat in the number of images.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segbench.datasets.pairing import pair_folders
from segbench.datasets.readers import label_png_layout, read_label_map, wuffs_decodes
from segbench.engine.buffers import BufferPool, look_ahead
from segbench.engine.parallel import two_stage_map
from segbench.engine.progress import make_progress
from segbench.errors import InputError, LabelRangeError, ShapeMismatchError
from segbench.kernels.numba_startup import kernel_loader
from segbench.metrics.semantic import SemanticStats

@dataclass
class SemanticEvaluation:
    stats: SemanticStats
    seconds: float
    missing: list[str]
    extra: list[str]


MAX_CLASSES = 16384  # a 16384 x 16384 int64 confusion matrix is already 2 GiB


def check_num_classes(num_classes: int) -> None:
    if num_classes < 1:
        raise InputError(f"--num-classes {num_classes}: expected at least 1 class")
    if num_classes > MAX_CLASSES:
        gib = num_classes**2 * 8 / 2**30
        raise InputError(f"--num-classes {num_classes}: its confusion matrix would take {gib:,.0f} GiB; "
                         f"expected at most {MAX_CLASSES} classes")


def check_ignore_index(ignore_index: int | None, num_classes: int) -> None:
    if ignore_index is not None and not (0 <= ignore_index <= 65535):
        raise InputError(f"--ignore-index {ignore_index}: expected a label value in 0..65535 or 'none'")


def image_confusion(
    gt: np.ndarray,
    pred: np.ndarray,
    num_classes: int,
    ignore_index: int | None,
    gt_path: os.PathLike | str = "<gt>",
    pred_path: os.PathLike | str = "<pred>",
) -> np.ndarray:
    """One image's confusion matrix (rows = GT) with the checks that name file and value."""
    if gt.shape != pred.shape:
        raise ShapeMismatchError(
            f"{pred_path}: prediction is {_hw(pred)} but ground truth {gt_path} is {_hw(gt)}; expected the same size"
        )
    from segbench.kernels.confusion import confusion_matrix_update

    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    bad = confusion_matrix_update(gt, pred, num_classes, ignore_index, cm)
    if bad >= 0:
        y, x = np.unravel_index(bad, gt.shape)
        g = int(gt.reshape(-1)[bad])
        if g < 0 or g >= num_classes:
            ign = "none" if ignore_index is None else ignore_index
            raise LabelRangeError(
                f"{gt_path}: ground-truth label {g} at (row {y}, col {x}) is outside [0, {num_classes}) "
                f"and is not the ignore index ({ign})"
            )
        p = int(pred.reshape(-1)[bad])
        raise LabelRangeError(
            f"{pred_path}: predicted label {p} at (row {y}, col {x}) is outside [0, {num_classes}) "
            f"on a non-ignored pixel (ground truth {g})"
        )
    return cm


def _png_layout(path: Path):
    return label_png_layout(path) if path.suffix.lower() == ".png" else None


def decode_ahead(sample: Path) -> int:
    """Look-ahead in pairs for label maps like ``sample`` (see ``engine.buffers``)."""
    layout = _png_layout(sample)
    return look_ahead(2 * int(np.prod(layout[0])) * layout[1].itemsize if layout else 8 * 2**20)


def _hw(a: np.ndarray) -> str:
    return "x".join(str(s) for s in a.shape)


def missed_counts(gt: np.ndarray, num_classes: int, ignore_index: int | None, gt_path) -> np.ndarray:
    """GT class counts of an image with no prediction (every valid pixel a miss)."""
    flat = gt.reshape(-1).astype(np.int64)
    if ignore_index is not None:
        flat = flat[flat != ignore_index]
    bad = (flat < 0) | (flat >= num_classes)
    if bad.any():
        raise LabelRangeError(
            f"{gt_path}: ground-truth label {int(flat[bad][0])} is outside [0, {num_classes}) and is not the ignore index"
        )
    return np.bincount(flat, minlength=num_classes).astype(np.int64)


def evaluate_semantic_folders(
    gt_dir: str | os.PathLike,
    pred_dir: str | os.PathLike,
    num_classes: int,
    ignore_index: int | None = 255,
    *,
    gt_suffix: str = "",
    pred_suffix: str = "",
    allow_missing: bool = False,
    jobs: int | None = None,
    quiet: bool = True,
    decoder: str = "auto",
) -> SemanticEvaluation:
    """Pool the confusion matrix over all GT/prediction pairs (see ``metrics.semantic``)."""
    check_num_classes(num_classes)
    check_ignore_index(ignore_index, num_classes)
    start = time.perf_counter()
    pairing = pair_folders(gt_dir, pred_dir, gt_suffix, pred_suffix, allow_missing)

    pool = BufferPool()

    def take(path: Path) -> np.ndarray | None:
        if wuffs_decodes(decoder) or decoder == "pillow":
            return None  # Wuffs and Pillow allocate their own output; recycled buffers serve OpenCV
        layout = _png_layout(path)
        return None if layout is None else pool.take(*layout)

    def decode(pair: tuple[str, Path, Path | None]):
        key, gt_path, pred_path = pair
        gt = read_label_map(gt_path, decoder, take(gt_path))
        pred = None if pred_path is None else read_label_map(pred_path, decoder, take(pred_path))
        return pair, gt, pred

    def count(decoded):
        (key, gt_path, pred_path), gt, pred = decoded
        try:
            if pred is None:
                return key, zeros, missed_counts(gt, num_classes, ignore_index, gt_path)
            return key, image_confusion(gt, pred, num_classes, ignore_index, gt_path, pred_path), None
        finally:
            pool.give(gt, pred)

    stats = SemanticStats(num_classes)
    zeros = np.zeros((num_classes, num_classes), np.int64)
    counted = two_stage_map(decode, count, pairing.pairs, kernel_loader("segbench.kernels.confusion"), jobs,
                            window=decode_ahead(pairing.pairs[0][1]))
    with make_progress("Evaluating", len(pairing.pairs), quiet) as bar:
        for key, confusion, missed in counted:
            stats.add_image(key, confusion, missed)
            bar.advance()
    return SemanticEvaluation(stats, time.perf_counter() - start, pairing.missing, pairing.extra)
