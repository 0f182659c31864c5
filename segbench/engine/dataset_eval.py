"""Evaluate a prediction folder against a dataset root through its adapter (``--dataset``).

Per image (in worker threads): read the ground truth in raw ids, read the prediction (labelIds,
trainIds or colours, converted to raw ids), count the raw-id confusion matrix with the Numba
kernel (``kernels.confusion``; the same kernel as folder evaluation), then fold it into the N
evaluated classes by the convention (docs/conventions.md):

- rows (ground truth) of non-evaluated raw ids are dropped (ignored pixels);
- columns (prediction) of non-evaluated raw ids on evaluated pixels ("ignored predictions"):
  ``default``/``detectron2``: an error (a prediction must be an evaluated class);
  ``cityscapes``/``ade20k``: a miss of the ground-truth class (FN, nobody's FP), as
  cityscapesScripts' 34x34 labelId matrix and the ADE20K toolkit count them;
  ``mapillary``: dropped (rows and columns of non-evaluated labels deleted);
- raw ids that are not in the dataset's label table are errors, in either map.

The folded matrix goes into :class:`~segbench.metrics.semantic.SemanticStats` (ignored predictions
as its ``missed`` counts), so every metric, per-image report and merge works as for folders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from segbench.datasets.layout import PredictionIndex, match_predictions
from segbench.engine.parallel import ordered_map
from segbench.engine.progress import make_progress
from segbench.errors import InputError, LabelRangeError, ShapeMismatchError
from segbench.kernels.confusion import confusion_matrix_update
from segbench.metrics.semantic import SemanticStats

DATASET_CONVENTIONS = ("default", "detectron2", "cityscapes", "mapillary", "ade20k")


@dataclass
class DatasetEvaluation:
    stats: SemanticStats
    seconds: float
    missing: list[str]
    extra: list[str]
    convention: str
    pred_ids: str
    raw_confusion: np.ndarray
    summary_extra: dict = field(default_factory=dict)
    per_class_extra: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)


def fold_confusion(raw_cm: np.ndarray, raw_to_eval: np.ndarray, num_classes: int):
    """``(eval_cm (N, N), ignored_pred (N,))`` from a raw-id confusion matrix.

    ``eval_cm[i, j]`` sums ``raw_cm[a, b]`` over raw ids ``a -> i``, ``b -> j``;
    ``ignored_pred[i]`` sums ``raw_cm[a, b]`` over ``a -> i`` and non-evaluated ``b``.
    """
    g, p = np.nonzero(raw_cm)  # a few hundred entries at most: fold only those
    counts = raw_cm[g, p]
    eg, ep = raw_to_eval[g], raw_to_eval[p]
    valid_gt = eg >= 0
    eval_cm = np.zeros((num_classes, num_classes), np.int64)
    hit = valid_gt & (ep >= 0)
    np.add.at(eval_cm, (eg[hit], ep[hit]), counts[hit])
    ignored_pred = np.zeros(num_classes, np.int64)
    miss = valid_gt & (ep == -1)
    np.add.at(ignored_pred, eg[miss], counts[miss])
    return eval_cm, ignored_pred


def _hw(a: np.ndarray) -> str:
    return "x".join(str(v) for v in a.shape)


def _raw_confusion(adapter, table, gt, pred, gt_path, pred_path) -> np.ndarray:
    if gt.shape != pred.shape:
        raise ShapeMismatchError(
            f"{pred_path}: prediction is {_hw(pred)} but ground truth {gt_path} is {_hw(gt)}; expected the same size"
        )
    r = table.raw_size
    cm = np.zeros((r, r), np.int64)
    bad = confusion_matrix_update(gt, pred, r, None, cm)
    if bad >= 0:
        g = int(gt.reshape(-1)[bad])
        if g < 0 or g >= r:
            table.check_known(np.array([g]), gt_path, "ground-truth label id")
        table.check_known(np.array([int(pred.reshape(-1)[bad])]), pred_path, "predicted label id")
    unknown = ~table.known_mask()
    if unknown.any():
        bad_gt = np.nonzero(unknown & (cm.sum(axis=1) > 0))[0]
        if bad_gt.size:
            table.check_known(bad_gt, gt_path, "ground-truth label id")
        bad_pred = np.nonzero(unknown & (cm.sum(axis=0) > 0))[0]
        if bad_pred.size:
            table.check_known(bad_pred, pred_path, "predicted label id")
    return cm


def evaluate_semantic_dataset(
    adapter,
    root,
    split: str,
    pred_dir,
    *,
    pred_ids: str | None = None,
    convention: str | None = None,
    allow_missing: bool = False,
    jobs: int | None = None,
    quiet: bool = True,
) -> DatasetEvaluation:
    """Pool the confusion matrix of ``pred_dir`` against ``adapter``'s ``split`` under ``root``."""
    adapter.require_task("semantic")
    convention = convention or adapter.convention
    if convention not in DATASET_CONVENTIONS:
        raise InputError(f"--convention {convention!r}: expected one of {', '.join(DATASET_CONVENTIONS)}")
    allowed = getattr(adapter, "conventions", DATASET_CONVENTIONS)
    if convention not in allowed:
        raise InputError(
            f"--convention {convention!r} does not apply to dataset {adapter.name!r}; expected one of {', '.join(allowed)}"
        )
    pred_ids = adapter.check_pred_ids(pred_ids)
    start = time.perf_counter()
    samples = adapter.samples(root, split)
    table = adapter.label_table()
    n = table.num_classes
    index = PredictionIndex(pred_dir, loose_prefix=getattr(adapter, "loose_prediction_prefix", False))
    pairs, missing = match_predictions(samples, index, allow_missing, f"{adapter.name} {split}")
    raw_to_eval = table.raw_to_eval
    need_raw = convention == "cityscapes"

    def work(pair):
        sample, pred_path = pair
        gt = adapter.read_raw_semantic(sample)
        if pred_path is None:
            adapter.check_raw(gt, sample.semantic, "ground-truth label id")
            flat = gt.reshape(-1).astype(np.int64)
            counts = np.bincount(flat, minlength=table.raw_size)
            missed = np.zeros(n, np.int64)
            np.add.at(missed, raw_to_eval[raw_to_eval >= 0], counts[raw_to_eval >= 0])
            raw = np.zeros((table.raw_size, table.raw_size), np.int64) if need_raw else None
            if need_raw:
                raw[:, table.first_ignored_raw() or 0] = counts  # every pixel a miss
            extra = adapter.image_extra_stats(sample, gt, None, convention)
            return sample.name, np.zeros((n, n), np.int64), missed, raw, extra
        pred = adapter.read_prediction(pred_path, pred_ids)
        cm = _raw_confusion(adapter, table, gt, pred, sample.semantic, pred_path)
        eval_cm, ignored_pred = fold_confusion(cm, raw_to_eval, n)
        if convention in ("default", "detectron2") and ignored_pred.any():
            cols = np.nonzero(cm[raw_to_eval >= 0][:, raw_to_eval == -1].sum(axis=0))[0]
            rid = int(np.nonzero(raw_to_eval == -1)[0][cols[0]])
            label = table.by_id[rid]
            raise LabelRangeError(
                f"{pred_path}: predicted label id {rid} ({label.name!r}, not evaluated) on {int(ignored_pred.sum())} "
                f"evaluated pixels; expected one of the {n} evaluated classes, or --convention "
                f"{'/'.join(c for c in allowed if c in ('cityscapes', 'ade20k', 'mapillary')) or 'cityscapes'} "
                f"where such predictions count officially"
            )
        missed = ignored_pred if convention in ("cityscapes", "ade20k") else None
        extra = adapter.image_extra_stats(sample, gt, pred, convention)
        return sample.name, eval_cm, missed, (cm if need_raw else None), extra

    stats = SemanticStats(n)
    raw_total = np.zeros((table.raw_size, table.raw_size), np.int64) if need_raw else np.zeros((0, 0), np.int64)
    extras = []
    with make_progress("Evaluating", len(pairs), quiet) as bar:
        for name, eval_cm, missed, raw, extra in ordered_map(work, pairs, jobs):
            stats.add_image(name, eval_cm, missed)
            if raw is not None:
                raw_total += raw
            extras.append(extra)
            bar.advance()
    summary_extra, per_class_extra, groups = adapter.finish_extra(raw_total, extras, convention)
    return DatasetEvaluation(
        stats, time.perf_counter() - start, missing, [str(p) for p in index.unused()], convention, pred_ids,
        raw_total, summary_extra, per_class_extra, groups,
    )


def dataset_semantic_record(evaluation: DatasetEvaluation, adapter, *, root=None, split: str | None = None,
                            model: str | None = None, meta: dict | None = None) -> dict:
    """The result record (DESIGN.md) of :func:`evaluate_semantic_dataset`.

    ``metrics``: the usual semantic keys under the convention, plus the adapter's additions
    (Cityscapes: ``miou`` as the official class average, ``iiou``, ``cat_miou``, ``cat_iiou``;
    ADE20K: ``score``). ``per_class`` rows carry the raw ``label_id`` (and ``iiou``);
    ``per_category`` (Cityscapes) lists category IoU/iIoU.
    """
    from segbench.metrics.semantic import compute
    from segbench.record import make_record

    stats = evaluation.stats
    summary, per_class = compute(stats, evaluation.convention)
    summary.update(evaluation.summary_extra)
    classes = adapter.classes()
    rows = []
    for i, c in enumerate(classes):
        row = {"id": i, "name": c.name, "label_id": c.label_id, "iou": per_class["iou"][i], "acc": per_class["acc"][i],
               "dice": per_class["dice"][i], "gt_pixels": int(per_class["gt"][i]), "pred_pixels": int(per_class["pred"][i])}
        for key, values in evaluation.per_class_extra.items():
            row[key] = values[i]
        rows.append(row)
    tp, gt, pred = stats.per_image_counts()
    payload = {"confusion": stats.confusion, "missed": stats.missed,
               "per_image": {"names": stats.image_names, "tp": tp, "gt": gt, "pred": pred}}
    if evaluation.raw_confusion.size:
        payload["raw_confusion"] = evaluation.raw_confusion
    extra = {"stats": payload}
    if evaluation.groups:
        extra["per_category"] = evaluation.groups
    return make_record(
        "semantic", summary, rows, dataset=adapter.name, model=model, convention=evaluation.convention,
        num_images=stats.num_images, seconds=evaluation.seconds,
        meta={"num_classes": stats.num_classes, "ignore_index": adapter.ignore_index, "root": str(root) if root else None,
              "split": split, "pred_ids": evaluation.pred_ids, "missing_predictions": len(evaluation.missing),
              **(meta or {})},
        extra=extra,
    )
