"""Random COCO instance datasets for parity tests, and pycocotools as the oracle."""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
from pycocotools import mask as mask_utils

STAT_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def uncompressed(mask: np.ndarray) -> dict:
    flat = mask.T.reshape(-1).astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return {"size": list(mask.shape), "counts": counts}


def blob(rng, h, w, kind=None):
    """A random mask: ellipse, rectangle, ring, tiny (1-4 px) or empty."""
    kind = kind or rng.choice(["ellipse", "rect", "ring", "tiny", "ellipse", "rect", "big"])
    yy, xx = np.mgrid[:h, :w]
    if kind == "tiny":
        m = np.zeros((h, w), bool)
        y, x = rng.integers(0, h), rng.integers(0, w)
        m[y:y + rng.integers(1, 3), x:x + rng.integers(1, 3)] = True
        return m
    if kind == "empty":
        return np.zeros((h, w), bool)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = rng.uniform(1, h / 2), rng.uniform(1, w / 2)
    if kind == "big":
        ry, rx = rng.uniform(h / 3, h / 1.5), rng.uniform(w / 3, w / 1.5)
    if kind == "rect":
        return (np.abs(yy - cy) <= ry) & (np.abs(xx - cx) <= rx)
    d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    if kind == "ring":
        return (d <= 1) & (d >= 0.4)
    return d <= 1


def perturb(rng, m, strength=2):
    dy, dx = rng.integers(-strength, strength + 1, 2)
    out = np.roll(np.roll(m, dy, 0), dx, 1)
    if rng.random() < 0.3:
        import cv2

        k = np.ones((3, 3), np.uint8)
        op = cv2.erode if rng.random() < 0.5 else cv2.dilate
        out = op(out.astype(np.uint8), k).astype(bool)
    return out


def random_dataset(seed: int, n_images=12, n_cats=4, max_gt=6, crowd_p=0.15, many_dets_image=True,
                   sizes=((24, 32), (40, 30), (64, 64), (120, 140), (150, 180)), score_decimals=2, polygon_p=0.2,
                   gt_id_zero=False):
    """A COCO GT dict and results list exercising the quirks (see test module docstrings)."""
    import cv2

    rng = np.random.default_rng(seed)
    cats = [{"id": c * 3 + 1, "name": f"cat{c}"} for c in range(n_cats)]
    cat_ids = [c["id"] for c in cats]
    images, anns, results = [], [], []
    ann_id = 0 if gt_id_zero else 1
    img_ids = rng.permutation(np.arange(1, 4 * n_images))[:n_images] * 7
    for i, img_id in enumerate(img_ids.tolist()):
        h, w = sizes[int(rng.integers(len(sizes)))]
        images.append({"id": img_id, "height": h, "width": w, "file_name": f"{img_id}.png"})
        n_gt = 0 if i % 5 == 1 else int(rng.integers(0, max_gt + 1))
        gts = []
        for _ in range(n_gt):
            cat = int(rng.choice(cat_ids[:-1]))  # the last category never has GT
            m = blob(rng, h, w)
            crowd = bool(rng.random() < crowd_p)
            ann = {"id": ann_id, "image_id": img_id, "category_id": cat, "iscrowd": int(crowd)}
            ann_id += 1
            if rng.random() < 0.1:
                ann["ignore"] = int(rng.integers(0, 2))  # overwritten by iscrowd in pycocotools
            if crowd:
                ann["segmentation"] = uncompressed(m)
                ann["area"] = float(m.sum())
            elif rng.random() < polygon_p and m.sum() > 8:
                cs, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
                polys = [c.reshape(-1).astype(float).tolist() for c in cs if len(c) >= 3]
                if not polys:
                    ann["segmentation"] = encode(m)
                    ann["area"] = float(m.sum())
                else:
                    ann["segmentation"] = polys
                    rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
                    ann["area"] = float(mask_utils.area(rle))
                    m = mask_utils.decode(rle).astype(bool)
            else:
                ann["segmentation"] = encode(m)
                # the JSON area need not equal the mask area (pycocotools trusts the JSON)
                ann["area"] = float(m.sum()) * (rng.uniform(0.8, 1.2) if rng.random() < 0.2 else 1.0)
            ann["bbox"] = [float(v) for v in mask_utils.toBbox(encode(m))]
            anns.append(ann)
            gts.append((cat, m))
        if i % 7 == 3:
            continue  # an image without detections
        n_det = 130 if (many_dets_image and i == 0) else int(rng.integers(0, 3 * max_gt))
        for j in range(n_det):
            if n_det > 100:  # > 100 detections of one category in one image: maxDets truncates
                cat = cat_ids[0]
                m = perturb(rng, gts[0][1], 3) if gts and rng.random() < 0.3 else blob(rng, h, w)
            elif gts and rng.random() < 0.7:
                cat, m = gts[int(rng.integers(len(gts)))]
                m = perturb(rng, m, int(rng.integers(0, 4)))
                if rng.random() < 0.1:
                    cat = int(rng.choice(cat_ids))
            else:
                cat = int(rng.choice(cat_ids))
                m = blob(rng, h, w, "empty" if rng.random() < 0.03 else None)
            score = round(float(rng.random()), score_decimals)
            results.append({"image_id": img_id, "category_id": cat, "segmentation": encode(m), "score": score})
    rng.shuffle(results)
    gt = {"images": images, "annotations": anns, "categories": cats}
    return gt, results


def pycoco_eval(gt: dict, results: list, iou_type="segm", max_dets=None, area_rng=None, area_lbl=None):
    """pycocotools' COCOeval: (stats (12,), precision, recall)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        dt = coco.loadRes(copy.deepcopy(results))
        E = COCOeval(coco, dt, iou_type)
        if max_dets is not None:
            E.params.maxDets = list(max_dets)
        if area_rng is not None:
            E.params.areaRng = [list(r) for r in area_rng]
            E.params.areaRngLbl = list(area_lbl)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return np.array(E.stats), E.eval["precision"], E.eval["recall"]


def segbench_eval(tmp_path, gt: dict, results: list, **kw):
    """segbench's evaluation of the same dicts (through files, like the CLI)."""
    import json

    from segbench.engine.instance import evaluate_instance
    from segbench.metrics.instance import compute

    gp, rp = tmp_path / "gt.json", tmp_path / "res.json"
    gp.write_text(json.dumps(gt))
    rp.write_text(json.dumps(results))
    ev = evaluate_instance(gp, rp, **kw)
    return ev, compute(ev.stats)


def stats_vector(metrics: dict) -> np.ndarray:
    return np.array([-1.0 if metrics[k] is None else metrics[k] for k in STAT_KEYS])


def column_split_counts(mask: np.ndarray) -> list[int]:
    """Non-canonical run lengths, as an encoder that encodes each column on its own writes them:
    every column starts with a background run, so a foreground run crossing a column boundary is
    split by a zero-length background run, and a background run by a zero-length foreground one."""
    out: list[int] = []
    for col in mask.T.astype(np.int8):
        change = np.flatnonzero(np.diff(col)) + 1
        runs = np.diff(np.concatenate([[0], change, [col.size]])).tolist()
        if col[0] == 1:
            runs = [0] + runs
        if len(out) % 2 == 1:  # the previous column ended with background: a zero foreground run
            out.append(0)
        out.extend(runs)
    return out


def split_runs(counts: list[int], rng, p=0.3) -> list[int]:
    """The same mask with some runs split in two by a zero-length run of the other kind."""
    out: list[int] = []
    for c in counts:
        if c >= 2 and rng.random() < p:
            a = int(rng.integers(1, c))
            out += [a, 0, c - a]
        else:
            out.append(int(c))
    return out


def rle_from_counts(counts, h: int, w: int, compressed=True) -> dict:
    """RLE with exactly these run lengths (zero-length runs kept, as pycocotools keeps them)."""
    if not compressed:
        return {"size": [h, w], "counts": [int(c) for c in counts]}
    rle = mask_utils.frPyObjects({"size": [h, w], "counts": [int(c) for c in counts]}, h, w)
    return {"size": [h, w], "counts": rle["counts"].decode("ascii")}


def non_canonical_dataset(seed: int, **kw):
    """``random_dataset`` with most masks (GT and results) re-encoded with zero-length runs."""
    gt, results = random_dataset(seed, polygon_p=0.0, **kw)
    rng = np.random.default_rng(seed + 1)
    sizes = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    for ann in gt["annotations"] + results:
        if rng.random() < 0.2:
            continue
        h, w = sizes[ann["image_id"]]
        seg = ann["segmentation"]
        rle = seg if isinstance(seg["counts"], str) else mask_utils.frPyObjects(seg, h, w)
        m = mask_utils.decode(rle).astype(bool)
        counts = column_split_counts(m) if rng.random() < 0.5 else split_runs(uncompressed(m)["counts"], rng)
        in_results = "score" in ann
        ann["segmentation"] = rle_from_counts(counts, h, w, compressed=in_results or rng.random() < 0.5)
    return gt, results
