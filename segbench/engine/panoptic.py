"""Evaluate COCO-panoptic predictions (PNG + JSON) against ground truth, streaming over images.

Both JSON files are parsed and validated and every PNG's existence checked before any image is
decoded. Then worker threads decode GT/prediction pairs (the decoders release the GIL; Wuffs
where the ``fast`` extra is installed, else OpenCV into recycled buffers) while the calling
thread loads the Numba kernels; from then on the workers also count id pairs and apply
panopticapi's rules (``engine.parallel.two_stage_map``), and only four short per-category
vectors per image are kept, in image order. At most ``engine.buffers.DECODE_AHEAD_BYTES`` of
decoded pairs are held at once, so memory stays flat in the number of images. Results are
identical to panopticapi's ``pq_compute`` (see ``kernels/panoptic.py`` and ``metrics/panoptic.py``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from segbench.datasets.panoptic_io import (PanopticAnnotation, check_inputs, load_panoptic_json,
                                           match_annotations, panoptic_png_shape, read_panoptic_png)
from segbench.datasets.readers import wuffs_decodes
from segbench.engine.buffers import BufferPool, look_ahead
from segbench.engine.parallel import two_stage_map
from segbench.engine.progress import make_progress
from segbench.errors import FormatError, ShapeMismatchError
from segbench.kernels.numba_startup import kernel_loader
from segbench.metrics.panoptic import PanopticStats, compute
from segbench.record import make_record


DECODERS = ("auto", "wuffs", "opencv", "pillow")


@dataclass
class PanopticEvaluation:
    stats: PanopticStats
    seconds: float
    extra: list = field(default_factory=list)  # prediction image ids absent from the GT (not evaluated)
    gt_json: str = ""
    pred_json: str = ""


def _image_name(file_name: str) -> str:
    p = PurePosixPath(file_name.replace("\\", "/"))
    return str(p.with_suffix("")) if p.suffix.lower() == ".png" else str(p)


class _ImageEvaluator:
    """Per-image work in two stages (``engine.parallel.two_stage_map``): ``decode`` the PNG pair,
    then ``count``: check the PNGs against the JSON and count TP/FP/FN (thread-safe)."""

    def __init__(self, gt_json: Path, pred_json: Path, gt_dir: Path, pred_dir: Path,
                 col: dict[int, int], decoder: str):
        self.gt_json, self.pred_json = gt_json, pred_json
        self.gt_dir, self.pred_dir = gt_dir, pred_dir
        self.col = col
        self.decoder = decoder
        self.pool = BufferPool()
        self.use_pool = not (wuffs_decodes(decoder) or decoder == "pillow")  # OpenCV decodes into buffers

    def _read(self, path: Path):
        out = self.pool.take(panoptic_png_shape(path), np.uint8) if self.use_pool else None
        return read_panoptic_png(path, self.decoder, out)

    def decode(self, pair: tuple[PanopticAnnotation, PanopticAnnotation]):
        gt_ann, pred_ann = pair
        return pair, self._read(self.gt_dir / gt_ann.file_name), self._read(self.pred_dir / pred_ann.file_name)

    def count(self, decoded):
        (gt_ann, pred_ann), (gt_arr, gt_order), (pred_arr, pred_order) = decoded
        gt_path = self.gt_dir / gt_ann.file_name
        pred_path = self.pred_dir / pred_ann.file_name
        try:
            return self._count(gt_ann, pred_ann, gt_path, pred_path, gt_arr, pred_arr, gt_order, pred_order)
        finally:
            self.pool.give(gt_arr, pred_arr)

    def _count(self, gt_ann, pred_ann, gt_path, pred_path, gt_arr, pred_arr, gt_order, pred_order):
        from segbench.kernels.panoptic import image_pq_counts, pair_counts  # (Numba: imported late)

        if gt_arr.shape[:2] != pred_arr.shape[:2]:
            raise ShapeMismatchError(
                f"{pred_path}: prediction is {pred_arr.shape[0]}x{pred_arr.shape[1]} but ground truth {gt_path} "
                f"is {gt_arr.shape[0]}x{gt_arr.shape[1]}; expected the same size"
            )
        g_order = np.argsort(np.asarray(gt_ann.ids, np.int64), kind="stable")
        p_order = np.argsort(np.asarray(pred_ann.ids, np.int64), kind="stable")
        gt_ids = np.asarray(gt_ann.ids, np.int64)[g_order]
        pred_ids = np.asarray(pred_ann.ids, np.int64)[p_order]
        counts, unknown_gt, unknown_pred = pair_counts(gt_arr, pred_arr, gt_ids, pred_ids, gt_order, pred_order)
        image = gt_ann.image_id
        if unknown_gt >= 0:
            raise FormatError(f"{gt_path}: segment id {unknown_gt} is in the PNG but not in segments_info of "
                              f"image {image!r} in {self.gt_json}")
        if unknown_pred >= 0:
            raise FormatError(f"{pred_path}: segment id {unknown_pred} is in the PNG but not in segments_info of "
                              f"image {image!r} in {self.pred_json}")
        gt_png_area = counts.sum(axis=1)[1:-1]
        pred_png_area = counts.sum(axis=0)[1:-1]
        gt_area = np.asarray(gt_ann.area, np.int64)[g_order]
        self._check_areas(gt_ids, gt_png_area, gt_area, gt_path, self.gt_json, image)
        self._check_areas(pred_ids, pred_png_area, np.asarray(pred_ann.area, np.int64)[p_order],
                          pred_path, self.pred_json, image)
        gt_cat = np.array([self.col[c] for c in gt_ann.category], np.int64)[g_order]
        gt_crowd = np.asarray(gt_ann.iscrowd, bool)[g_order]
        pred_cat = np.array([self.col[c] for c in pred_ann.category], np.int64)[p_order]
        # panopticapi keeps one crowd region per category: the last crowd segment in JSON order.
        crowd_of_cat = np.full(len(self.col), -1, np.int64)
        row_of = np.empty(len(g_order), np.int64)
        row_of[g_order] = np.arange(1, len(g_order) + 1)
        for k, (cat, crowd) in enumerate(zip(gt_ann.category, gt_ann.iscrowd)):
            if crowd:
                crowd_of_cat[self.col[cat]] = row_of[k]
        sums = image_pq_counts(counts, gt_area, gt_cat, gt_crowd, pred_cat, crowd_of_cat, len(self.col))
        return _image_name(gt_ann.file_name), sums

    @staticmethod
    def _check_areas(ids, png_area, json_area, png_path, json_path, image) -> None:
        """Every listed segment has pixels in the PNG, and every JSON area given (>= 0; -1 where a
        prediction gives none) equals the PNG's count. Scoring uses the ground truth's JSON areas
        (as panopticapi) and the prediction's PNG counts."""
        absent = np.flatnonzero(png_area == 0)
        if absent.size:
            raise FormatError(f"{json_path}: segment id {int(ids[absent[0]])} of image {image!r} is listed in "
                              f"segments_info but absent from {png_path}")
        wrong = np.flatnonzero((json_area >= 0) & (json_area != png_area))
        if wrong.size:
            k = wrong[0]
            raise FormatError(f"{json_path}: segment id {int(ids[k])} of image {image!r} has area {int(json_area[k])} "
                              f"in the JSON but {int(png_area[k])} pixels in {png_path}")


def evaluate_panoptic(
    gt_json: str | os.PathLike,
    gt_dir: str | os.PathLike,
    pred_json: str | os.PathLike,
    pred_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    quiet: bool = True,
    decoder: str = "auto",
) -> PanopticEvaluation:
    """PQ/SQ/RQ statistics of a COCO-panoptic prediction (see module docstring).

    ``gt_json``/``gt_dir``: ground-truth JSON and PNG folder; ``pred_json``/``pred_dir``: the
    prediction's. ``jobs``: decode threads (0/None = all cores). ``decoder``: see
    :func:`~segbench.datasets.panoptic_io.read_panoptic_png`.
    """
    start = time.perf_counter()
    gt_json, pred_json = Path(gt_json), Path(pred_json)
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, got {decoder!r}")
    check_inputs(gt_json, gt_dir, pred_json, pred_dir)
    gt = load_panoptic_json(gt_json, "ground truth")
    pred = load_panoptic_json(pred_json, "prediction", gt.categories, {a.image_id for a in gt.annotations})
    pairs, extra = match_annotations(gt, pred)
    for gt_ann, pred_ann in pairs:
        for folder, ann, json_path in ((gt_dir, gt_ann, gt_json), (pred_dir, pred_ann, pred_json)):
            if not (folder / ann.file_name).is_file():
                raise FormatError(f"{folder / ann.file_name}: no such PNG (file_name of image {ann.image_id!r} "
                                  f"in {json_path})")
    cats = gt.categories
    stats = PanopticStats([c.id for c in cats], np.array([c.isthing for c in cats], bool), [c.name for c in cats])
    work = _ImageEvaluator(gt_json, pred_json, gt_dir, pred_dir, {c.id: k for k, c in enumerate(cats)}, decoder)
    ahead = look_ahead(2 * int(np.prod(panoptic_png_shape(gt_dir / pairs[0][0].file_name)))) if pairs else 1
    with make_progress("Evaluating", len(pairs), quiet) as bar:
        load = kernel_loader("segbench.kernels.panoptic")
        for name, sums in two_stage_map(work.decode, work.count, pairs, load, jobs, window=ahead):
            stats.add_image(name, *sums)
            bar.advance()
    return PanopticEvaluation(stats, time.perf_counter() - start, extra, str(gt_json), str(pred_json))


def panoptic_per_class(stats: PanopticStats) -> list[dict]:
    """One row per category: ``{id, name, isthing, PQ, SQ, RQ, tp, fp, fn}``. A category with
    tp = fp = fn = 0 gets PQ = SQ = RQ = 0.0, as panopticapi's per-class results (it is skipped
    by every mean all the same; its zero counts tell it apart from a category scored 0)."""
    _, per = compute(stats)
    scored = {m: np.where(per["valid"], per[m], 0.0) for m in ("PQ", "SQ", "RQ")}
    return [
        {
            "id": cid, "name": stats.names[k], "isthing": bool(stats.isthing[k]),
            "PQ": float(scored["PQ"][k]), "SQ": float(scored["SQ"][k]), "RQ": float(scored["RQ"][k]),
            "tp": int(stats.tp[k]), "fp": int(stats.fp[k]), "fn": int(stats.fn[k]),
        }
        for k, cid in enumerate(stats.categories)
    ]


def panoptic_stats_payload(stats: PanopticStats) -> dict:
    """Per-image sufficient statistics (rows = images, columns = ``categories``): every metric can
    be recomputed on any subset of images (bootstrap intervals, per-image reports)."""
    per = stats.per_image()
    return {
        "categories": list(stats.categories),
        "isthing": [bool(t) for t in stats.isthing],
        "per_image": {"names": list(stats.image_names), **per},
    }


def panoptic_record(evaluation: PanopticEvaluation | PanopticStats, *, dataset: str | None = None,
                    model: str | None = None, meta: dict | None = None) -> dict:
    """The result record (DESIGN.md) of a panoptic evaluation."""
    if isinstance(evaluation, PanopticEvaluation):
        stats, seconds = evaluation.stats, evaluation.seconds
        base_meta = {"gt_json": evaluation.gt_json, "pred_json": evaluation.pred_json}
    else:
        stats, seconds, base_meta = evaluation, 0.0, {}
    summary, _ = compute(stats)
    return make_record(
        "panoptic", summary, panoptic_per_class(stats), dataset=dataset, model=model,
        convention="default", num_images=stats.num_images, seconds=seconds,
        meta={"num_categories": stats.num_categories, **base_meta, **(meta or {})},
        extra={"stats": panoptic_stats_payload(stats)},
    )
