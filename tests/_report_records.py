"""Deterministic result records for the report/leaderboard tests (built in code, not by evaluators)."""

from __future__ import annotations

import numpy as np

from segbench.api import semantic_record
from segbench.metrics.semantic import SemanticStats
from segbench.record import make_record

CLASS_NAMES = ["road", "sidewalk", "car", "person"]


def semantic_stats(seed: int, quality: float, images: int = 8, n: int = 4) -> SemanticStats:
    """Per-image confusion matrices: each image's pixels of class g go to g with prob. ``quality``."""
    rng = np.random.default_rng(seed)
    stats = SemanticStats(n)
    for i in range(images):
        gt_counts = rng.integers(0, 400, n)
        gt_counts[rng.integers(0, n)] += 800
        cm = np.zeros((n, n), np.int64)
        q = float(np.clip(quality + rng.normal(0, 0.12), 0.05, 0.99))  # images differ in difficulty
        for g in range(n):
            correct = rng.binomial(gt_counts[g], q)
            cm[g, g] = correct
            wrong = rng.multinomial(gt_counts[g] - correct, np.full(n, 1.0 / n))
            cm[g] += wrong
        stats.add_image(f"img{i:02d}", cm)
    return stats


def semantic(model: str, seed: int, quality: float, images: int = 8, drop: tuple[str, ...] = ()) -> dict:
    rec = semantic_record(semantic_stats(seed, quality, images), class_names=CLASS_NAMES, dataset="toy", model=model)
    for key in drop:
        rec["metrics"].pop(key, None)
    return rec


def instance(model: str, ap: float) -> dict:
    keys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    metrics = {k: round(min(1.0, ap + 0.01 * i), 4) for i, k in enumerate(keys)}
    metrics["APs"] = None  # undefined: no small objects
    thr = np.round(np.linspace(0.5, 0.95, 10), 2)
    recall = np.linspace(0, 1, 101)
    precision = []
    for i in range(10):
        p = np.clip(1.0 - recall ** (6.0 - 0.5 * i), 0, 1) * (1.0 - 0.05 * i)
        p[int(100 * (1 - 0.06 * i)):] = 0.0
        precision.append(p)
    per_class = [{"id": 1, "name": "car", "AP": ap + 0.05, "AP50": ap + 0.2, "AP75": ap},
                 {"id": 2, "name": "person", "AP": ap - 0.05, "AP50": ap + 0.1, "AP75": ap - 0.1}]
    return make_record("instance", metrics, per_class, dataset="toy", model=model,
                       extra={"pr": {"iou_thresholds": thr, "recall": recall, "precision": precision}})


PANOPTIC_CATEGORIES = [(1, "car", True), (2, "person", True), (7, "road", False), (8, "sky", False)]


def panoptic_counts(seed: int, images: int = 10):
    rng = np.random.default_rng(seed)
    c = len(PANOPTIC_CATEGORIES)
    tp = rng.integers(0, 4, (images, c))
    fp = rng.integers(0, 2, (images, c))
    fn = rng.integers(0, 2, (images, c))
    tp[:, 3] = 0; fp[:, 3] = 0; fn[:, 3] = 0  # "sky" never appears: skipped by PQ
    iou_sum = tp * rng.uniform(0.55, 0.95, (images, c))
    return iou_sum, tp, fp, fn


def panoptic(model: str, seed: int, images: int = 10) -> dict:
    from segbench.report.bootstrap import panoptic_from_counts

    iou_sum, tp, fp, fn = panoptic_counts(seed, images)
    isthing = np.array([t for _, _, t in PANOPTIC_CATEGORIES])
    metrics = panoptic_from_counts(iou_sum.sum(0), tp.sum(0), fp.sum(0), fn.sum(0), isthing)
    per_class = []
    for j, (cid, name, thing) in enumerate(PANOPTIC_CATEGORIES):
        one = panoptic_from_counts(iou_sum.sum(0)[j:j + 1], tp.sum(0)[j:j + 1], fp.sum(0)[j:j + 1],
                                   fn.sum(0)[j:j + 1], np.array([thing]))
        per_class.append({"id": cid, "name": name, "isthing": thing, "PQ": one["PQ"], "SQ": one["SQ"],
                          "RQ": one["RQ"], "tp": int(tp[:, j].sum()), "fp": int(fp[:, j].sum()), "fn": int(fn[:, j].sum())})
    stats = {"categories": [cid for cid, _, _ in PANOPTIC_CATEGORIES],
             "per_image": {"names": [f"img{i}" for i in range(images)], "iou_sum": iou_sum, "tp": tp, "fp": fp, "fn": fn}}
    return make_record("panoptic", metrics, per_class, dataset="toy", model=model, extra={"stats": stats})
