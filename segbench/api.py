"""The Python API behind ``segbench eval`` (the CLI is a thin layer over these functions).

>>> from segbench.api import evaluate_semantic, semantic_record
>>> ev = evaluate_semantic("gt/", "pred/", num_classes=21)          # doctest: +SKIP
>>> semantic_record(ev)["metrics"]["miou"]                          # doctest: +SKIP
"""

from __future__ import annotations

import io
import os

import numpy as np

from segbench.engine.semantic import SemanticEvaluation, evaluate_semantic_folders
from segbench.fileio import atomic_write_text
from segbench.metrics.semantic import CONVENTIONS, SemanticStats, compute, semantic_metrics
from segbench.errors import InputError
from segbench.record import make_record


def evaluate_semantic(gt_dir, pred_dir, num_classes: int, ignore_index: int | None = 255, *,
                      convention: str = "default", **options) -> SemanticEvaluation:
    """Evaluate label-map folders; see :func:`segbench.engine.semantic.evaluate_semantic_folders`."""
    if convention not in CONVENTIONS:
        raise InputError(f"--convention {convention!r}: expected one of {', '.join(CONVENTIONS)}")
    return evaluate_semantic_folders(gt_dir, pred_dir, num_classes, ignore_index, **options)


def semantic_per_class(per_class: dict, class_names: list[str] | None) -> list[dict]:
    n = len(per_class["iou"])
    names = class_names or [str(i) for i in range(n)]
    return [
        {
            "id": i,
            "name": names[i],
            "iou": per_class["iou"][i],
            "acc": per_class["acc"][i],
            "dice": per_class["dice"][i],
            "gt_pixels": int(per_class["gt"][i]),
            "pred_pixels": int(per_class["pred"][i]),
        }
        for i in range(n)
    ]


def semantic_stats_payload(stats: SemanticStats) -> dict:
    """Sufficient statistics stored in the record: pooled confusion matrix and per-image counts."""
    tp, gt, pred = stats.per_image_counts()
    return {
        "confusion": stats.confusion,
        "missed": stats.missed,
        "per_image": {"names": stats.image_names, "tp": tp, "gt": gt, "pred": pred},
    }


def semantic_record(evaluation: SemanticEvaluation | SemanticStats, *, convention: str = "default",
                    class_names: list[str] | None = None, dataset: str | None = None,
                    model: str | None = None, ignore_index: int | None = 255,
                    meta: dict | None = None) -> dict:
    """The result record (DESIGN.md) of a semantic evaluation."""
    stats = evaluation.stats if isinstance(evaluation, SemanticEvaluation) else evaluation
    seconds = evaluation.seconds if isinstance(evaluation, SemanticEvaluation) else 0.0
    summary, per_class = compute(stats, convention)
    return make_record(
        "semantic", summary, semantic_per_class(per_class, class_names),
        dataset=dataset, model=model, convention=convention, num_images=stats.num_images,
        seconds=seconds,
        meta={"num_classes": stats.num_classes, "ignore_index": ignore_index, **(meta or {})},
        extra={"stats": semantic_stats_payload(stats)},
    )


def per_image_frame(stats: SemanticStats, convention: str = "default"):
    """pandas DataFrame, one row per image: valid pixels and the five summary metrics."""
    import pandas as pd

    tp, gt, pred = stats.per_image_counts()
    summary, _ = semantic_metrics(tp, gt, pred, convention) if len(tp) else ({}, None)
    frame = pd.DataFrame({"image": stats.image_names, "valid_pixels": gt.sum(axis=1)})
    for key in ("pixel_acc", "mean_acc", "miou", "fwiou", "mdice"):
        frame[key] = summary.get(key, np.zeros(0))
    return frame


def write_per_image_csv(path: str | os.PathLike, stats: SemanticStats, convention: str = "default") -> None:
    buf = io.StringIO()
    per_image_frame(stats, convention).to_csv(buf, index=False)
    atomic_write_text(path, buf.getvalue())


# Entry points of the other tasks, imported on first use so that `eval semantic` does not pay
# for the instance/panoptic/dataset engines (and their imports) at start-up.
_LAZY = {
    "dataset_semantic_record": "segbench.engine.dataset_eval",
    "evaluate_semantic_dataset": "segbench.engine.dataset_eval",
    "evaluate_instance": "segbench.engine.instance",
    "instance_record": "segbench.engine.instance",
    "PanopticEvaluation": "segbench.engine.panoptic",
    "evaluate_panoptic": "segbench.engine.panoptic",
    "panoptic_record": "segbench.engine.panoptic",
    "RunConfig": "segbench.engine.train",
    "run_model": "segbench.engine.train",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'segbench.api' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), "run" if name == "run_model" else name)
