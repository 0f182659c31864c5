"""Random COCO-panoptic datasets for tests: crowd regions, VOID pixels, missing and extra
segments, wrong classes, stuff-only and things-only images; written as PNG + JSON, plus a runner
for cityscapesScripts' port of panopticapi's pq_compute (the oracle)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

CATEGORIES = [
    {"id": 1, "name": "person", "isthing": 1},
    {"id": 5, "name": "car", "isthing": 1},
    {"id": 17, "name": "dog", "isthing": 1},
    {"id": 90, "name": "kite", "isthing": 1},
    {"id": 7, "name": "road", "isthing": 0},
    {"id": 12, "name": "sky", "isthing": 0},
    {"id": 40, "name": "grass", "isthing": 0},
    {"id": 41, "name": "never-seen", "isthing": 0},
]
THINGS = [c["id"] for c in CATEGORIES if c["isthing"]][:3]  # "kite" never occurs
STUFF = [c["id"] for c in CATEGORIES if not c["isthing"]][:3]


def id_to_rgb(ids: np.ndarray) -> np.ndarray:
    ids = ids.astype(np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], -1).astype(np.uint8)


def _shape_mask(h, w, y, x, ry, rx, ellipse):
    yy, xx = np.ogrid[:h, :w]
    if ellipse:
        return ((yy - y) / max(ry, 1)) ** 2 + ((xx - x) / max(rx, 1)) ** 2 <= 1.0
    return (np.abs(yy - y) <= ry) & (np.abs(xx - x) <= rx)


def random_image(rng: np.random.Generator, h: int, w: int, kind: str = "mixed"):
    """GT and prediction id maps plus segment labels: ``(gt, gt_segs, pred, pred_segs)`` where
    segs map id -> (category_id, iscrowd)."""
    used: set[int] = set()

    def new_id():
        while True:
            v = int(rng.integers(1, 2**24))
            if v not in used:
                used.add(v)
                return v

    gt = np.zeros((h, w), np.int64)
    pred = np.zeros((h, w), np.int64)
    gt_segs, pred_segs = {}, {}
    if kind != "things":
        cuts = np.sort(rng.choice(np.arange(1, h), size=int(rng.integers(0, 3)), replace=False))
        bounds = [0, *cuts.tolist(), h]
        for a, b in zip(bounds[:-1], bounds[1:]):
            cat = int(rng.choice(STUFF))
            i = new_id()
            gt[a:b] = i
            gt_segs[i] = (cat, 0)
            # prediction: shifted boundary, sometimes wrong class, sometimes VOID
            da, db = (int(v) for v in rng.integers(-3, 4, 2))
            pcat = cat if rng.random() > 0.15 else int(rng.choice(STUFF))
            j = new_id()
            pred[max(0, a + da):max(0, b + db)] = j
            pred_segs[j] = (pcat, 0)
    if kind != "stuff":
        for _ in range(int(rng.integers(1, 8))):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            ry, rx = int(rng.integers(2, h // 3)), int(rng.integers(2, w // 3))
            ell = bool(rng.random() < 0.5)
            cat = int(rng.choice(THINGS))
            crowd = int(rng.random() < 0.25)
            i = new_id()
            gt[_shape_mask(h, w, y, x, ry, rx, ell)] = i
            gt_segs[i] = (cat, crowd)
            n_pred = 0 if rng.random() < 0.15 else (2 if crowd and rng.random() < 0.5 else 1)
            for _ in range(n_pred):  # missed objects, split crowds, jittered boxes
                py, px = y + int(rng.integers(-3, 4)), x + int(rng.integers(-3, 4))
                s = float(np.exp(rng.normal(0, 0.25)))
                pcat = cat if rng.random() > 0.1 else int(rng.choice(THINGS))
                j = new_id()
                pred[_shape_mask(h, w, py, px, int(ry * s), int(rx * s), ell)] = j
                pred_segs[j] = (pcat, 0)
        for _ in range(int(rng.poisson(1.0))):  # spurious predictions
            j = new_id()
            pred[_shape_mask(h, w, int(rng.integers(0, h)), int(rng.integers(0, w)),
                             int(rng.integers(1, 8)), int(rng.integers(1, 8)), True)] = j
            pred_segs[j] = (int(rng.choice(THINGS)), 0)
    # VOID: borders between GT segments and random blobs, in GT and (less) in predictions
    border = np.zeros((h, w), bool)
    border[1:] |= gt[1:] != gt[:-1]
    border[:, 1:] |= gt[:, 1:] != gt[:, :-1]
    if rng.random() < 0.7:
        gt[border] = 0
    for target, n in ((gt, 2.0), (pred, 0.7)):
        for _ in range(int(rng.poisson(n))):
            target[_shape_mask(h, w, int(rng.integers(0, h)), int(rng.integers(0, w)),
                               int(rng.integers(1, 12)), int(rng.integers(1, 12)), False)] = 0
    return gt, gt_segs, pred, pred_segs


def segments_info(ids: np.ndarray, segs: dict, rng: np.random.Generator, with_area: bool = True) -> list[dict]:
    """segments_info of the ids present in the map, in a random (JSON) order."""
    present, counts = np.unique(ids, return_counts=True)
    out = []
    for i, c in zip(present.tolist(), counts.tolist()):
        if i == 0:
            continue
        cat, crowd = segs[i]
        s = {"id": i, "category_id": cat, "iscrowd": crowd}
        if with_area:
            s["area"] = c
        out.append(s)
    rng.shuffle(out)
    return out


def write_dataset(root: Path, images: list[tuple], rng: np.random.Generator, categories=None) -> dict:
    """Write ``images`` = [(gt_map, gt_segs, pred_map, pred_segs), ...]; returns the paths."""
    root = Path(root)
    (root / "gt").mkdir(parents=True, exist_ok=True)
    (root / "pred").mkdir(parents=True, exist_ok=True)
    gt_anns, pred_anns = [], []
    for k, (g, gs, p, ps) in enumerate(images):
        name = f"img_{k:04d}.png"
        Image.fromarray(id_to_rgb(g)).save(root / "gt" / name)
        Image.fromarray(id_to_rgb(p)).save(root / "pred" / name)
        gt_anns.append({"image_id": k, "file_name": name, "segments_info": segments_info(g, gs, rng)})
        pred_anns.append({"image_id": k, "file_name": name,
                          "segments_info": segments_info(p, ps, rng, with_area=bool(k % 2))})
    cats = categories or CATEGORIES
    order = list(range(len(pred_anns)))
    rng.shuffle(order)
    (root / "gt.json").write_text(json.dumps({"annotations": gt_anns, "categories": cats}))
    (root / "pred.json").write_text(json.dumps({"annotations": [pred_anns[i] for i in order]}))
    return {"gt_json": root / "gt.json", "gt_dir": root / "gt", "pred_json": root / "pred.json",
            "pred_dir": root / "pred"}


def random_dataset(root: Path, seed: int, n: int = 12, h: int = 48, w: int = 64) -> dict:
    rng = np.random.default_rng(seed)
    kinds = ["mixed", "stuff", "things"]
    images = [random_image(rng, h, w, kinds[k % 3] if k % 4 else "mixed") for k in range(n)]
    return write_dataset(root, images, rng)


def oracle(paths: dict) -> dict:
    """cityscapesScripts' pq_compute port, run in-process (its multiprocessing pool is skipped:
    the per-core function is called once over all images) with its progress prints silenced."""
    from cityscapesscripts.evaluation import evalPanopticSemanticLabeling as cs

    gt = json.loads(Path(paths["gt_json"]).read_text())
    pred = json.loads(Path(paths["pred_json"]).read_text())
    categories = {c["id"]: c for c in gt["categories"]}
    by_id = {a["image_id"]: a for a in pred["annotations"]}
    pairs = [(a, by_id[a["image_id"]]) for a in gt["annotations"]]
    with contextlib.redirect_stdout(io.StringIO()):
        stat = cs.pq_compute_single_core(0, pairs, str(paths["gt_dir"]), str(paths["pred_dir"]), categories)
    results = {}
    for name, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        try:  # panopticapi divides by the number of scored categories: 0 raises
            results[name], per_class = stat.pq_average(categories, isthing=isthing)
        except ZeroDivisionError:
            results[name], per_class = None, {}
        if name == "All":
            results["per_class"] = per_class
    results["stat"] = {c: (stat[c].iou, stat[c].tp, stat[c].fp, stat[c].fn) for c in categories}
    return results
