"""Evaluation glue of ``segbench run`` for instance and panoptic predictions (no torch here).

TEMPORARY EVALUATORS. ``evaluate_instances`` turns predictions into a COCO ground-truth dict and
a results list (masks as RLE via ``pycocotools.mask``) and runs pycocotools' ``COCOeval``
(``iouType="segm"``) directly; ``evaluate_panoptic`` computes PQ/SQ/RQ with a compact
re-implementation of panopticapi's ``pq_compute`` matching rules (IoU > 0.5, VOID = segment id 0
subtracted from the union, crowd regions absorbing unmatched predictions, categories with no
TP/FP/FN skipped). Both sit behind these two functions so the integrator can switch them to
segbench's own evaluators (``segbench/engine/instance.py``, ``segbench/engine/panoptic.py``)
without touching the training engine. Inputs are plain numpy:

- instance GT: per image an :class:`~segbench.datasets.base.InstanceTarget` (classes are
  0-based thing indices); predictions: per image ``{"masks": (K, H, W) bool, "labels": (K,)
  0-based thing indices, "scores": (K,)}``; ``thing_classes``: the ClassInfo of thing index k.
- panoptic GT: per image a :class:`~segbench.datasets.base.PanopticTarget`; predictions: per image
  ``(segments (H, W) int, segments_info)``; ``classes``: all ClassInfo (``isthing`` split).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from segbench.errors import InputError

COCO_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_util

    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def coco_instances(gts, preds, thing_classes) -> tuple[dict, list[dict]]:
    """``(COCO instances GT dict, COCO results list)``; image ids 1..N, category ids = class ids."""
    from pycocotools import mask as mask_util

    images, anns, results = [], [], []
    cats = [{"id": int(c.id), "name": c.name} for c in thing_classes]
    for i, (gt, pred) in enumerate(zip(gts, preds), start=1):
        h, w = gt.masks.shape[-2:] if gt.masks.ndim == 3 else pred["masks"].shape[-2:]
        images.append({"id": i, "height": int(h), "width": int(w)})
        for m, c, crowd in zip(gt.masks, gt.classes, gt.iscrowd):
            rle = _rle(m)
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": int(thing_classes[int(c)].id),
                         "segmentation": rle, "area": float(mask_util.area(rle)),
                         "bbox": [float(v) for v in mask_util.toBbox(rle)], "iscrowd": int(bool(crowd))})
        for m, c, s in zip(pred["masks"], pred["labels"], pred["scores"]):
            results.append({"image_id": i, "category_id": int(thing_classes[int(c)].id),
                            "segmentation": _rle(m), "score": float(s)})
    return {"images": images, "annotations": anns, "categories": cats}, results


def evaluate_instances(gts, preds, thing_classes) -> tuple[dict, list[dict]]:
    """COCO mask AP (pycocotools COCOeval) -> ``(metrics, per_class)``; -1 becomes None."""
    from pycocotools import mask as mask_util
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt_dict, results = coco_instances(gts, preds, thing_classes)
    dt_anns = []
    for k, r in enumerate(results, start=1):
        dt_anns.append({**r, "id": k, "area": float(mask_util.area(r["segmentation"])),
                        "bbox": [float(v) for v in mask_util.toBbox(r["segmentation"])], "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_dict
        coco_gt.createIndex()
        coco_dt = COCO()
        coco_dt.dataset = {"images": gt_dict["images"], "categories": gt_dict["categories"], "annotations": dt_anns}
        coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    metrics = {k: (None if v < 0 else float(v)) for k, v in zip(COCO_KEYS, ev.stats)}
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    per_class = []
    for k, c in enumerate(thing_classes):
        row = {"id": int(c.id), "name": c.name}
        for key, t in (("AP", None), ("AP50", 0), ("AP75", 5)):
            p = precision[:, :, k, 0, -1] if t is None else precision[t, :, k, 0, -1]
            p = p[p > -1]
            row[key] = float(p.mean()) if p.size else None
        per_class.append(row)
    return metrics, per_class


def _pq_image(gt_seg, gt_info, pred_seg, pred_info, categories, stats, name):
    gt_segms = {s["id"]: s for s in gt_info}
    pred_segms = {s["id"]: dict(s) for s in pred_info}
    pred_ids, pred_areas = np.unique(pred_seg, return_counts=True)
    for pid, area in zip(pred_ids.tolist(), pred_areas.tolist()):
        if pid == 0:
            continue
        if pid not in pred_segms:
            raise InputError(f"{name}: predicted segment id {pid} has no segments_info entry")
        pred_segms[pid]["area"] = area
    for pid, s in pred_segms.items():
        if s["category_id"] not in categories:
            raise InputError(f"{name}: predicted segment {pid} has unknown category_id {s['category_id']}")
        s.setdefault("area", 0)
    gt_areas = dict(zip(*[a.tolist() for a in np.unique(gt_seg, return_counts=True)]))
    for gid, s in gt_segms.items():
        s = dict(s)
        s["area"] = gt_areas.get(gid, 0)
        gt_segms[gid] = s
    joint = gt_seg.astype(np.int64) * (1 << 32) + pred_seg.astype(np.int64)
    keys, counts = np.unique(joint, return_counts=True)
    inter = {(int(k >> 32), int(k & 0xFFFFFFFF)): int(c) for k, c in zip(keys, counts)}
    gt_matched, pred_matched = set(), set()
    for (gid, pid), n in inter.items():
        if gid not in gt_segms or pid not in pred_segms:
            continue
        g, p = gt_segms[gid], pred_segms[pid]
        if g["iscrowd"] == 1 or g["category_id"] != p["category_id"]:
            continue
        union = p["area"] + g["area"] - n - inter.get((0, pid), 0)
        iou = n / union
        if iou > 0.5:
            st = stats[g["category_id"]]
            st[0] += iou
            st[1] += 1
            gt_matched.add(gid)
            pred_matched.add(pid)
    crowd = {}
    for gid, g in gt_segms.items():
        if gid in gt_matched:
            continue
        if g["iscrowd"] == 1:
            crowd[g["category_id"]] = gid
            continue
        stats[g["category_id"]][3] += 1
    for pid, p in pred_segms.items():
        if pid in pred_matched or p["area"] == 0:
            continue
        n = inter.get((0, pid), 0)
        if p["category_id"] in crowd:
            n += inter.get((crowd[p["category_id"]], pid), 0)
        if n / p["area"] > 0.5:
            continue
        stats[p["category_id"]][2] += 1


def evaluate_panoptic(gts, preds, classes, names=None) -> tuple[dict, list[dict]]:
    """PQ/SQ/RQ (all, things, stuff) as panopticapi's ``pq_compute`` -> ``(metrics, per_class)``."""
    categories = {int(c.id): c for c in classes}
    stats = {cid: [0.0, 0, 0, 0] for cid in categories}  # iou_sum, tp, fp, fn
    for i, (gt, (seg, info)) in enumerate(zip(gts, preds)):
        name = names[i] if names else f"image {i}"
        if gt.segments.shape != seg.shape:
            raise InputError(f"{name}: predicted segments are {seg.shape} but ground truth is {gt.segments.shape}")
        _pq_image(gt.segments, gt.segments_info, seg, info, categories, stats, name)
    per_class, groups = [], {"": [], "_th": [], "_st": []}
    for cid, (iou, tp, fp, fn) in stats.items():
        c = categories[cid]
        den = tp + 0.5 * fp + 0.5 * fn
        row = {"id": cid, "name": c.name, "isthing": bool(c.isthing), "tp": tp, "fp": fp, "fn": fn,
               "PQ": iou / den if den else None, "SQ": (iou / tp if tp else 0.0) if den else None,
               "RQ": tp / den if den else None}
        per_class.append(row)
        if den:
            groups[""].append(row)
            groups["_th" if c.isthing else "_st"].append(row)
    metrics = {}
    for suffix, rows in groups.items():
        for key in ("PQ", "SQ", "RQ"):
            metrics[key + suffix] = float(np.mean([r[key] for r in rows])) if rows else None
    return metrics, per_class
