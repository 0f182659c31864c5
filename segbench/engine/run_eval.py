"""Evaluation glue of ``segbench run`` for instance and panoptic predictions (no torch here).

Predictions made in memory are written in the standard formats to a temporary folder and scored
by segbench's own evaluators, the same code paths as ``segbench eval instance`` (COCO mask AP,
identical to pycocotools) and ``segbench eval panoptic`` (PQ, identical to panopticapi). Inputs
are plain numpy:

- instance GT: per image an :class:`~segbench.datasets.base.InstanceTarget` (classes are
  0-based thing indices); predictions: per image ``{"masks": (K, H, W) bool, "labels": (K,)
  0-based thing indices, "scores": (K,)}``; ``thing_classes``: the ClassInfo of thing index k.
- panoptic GT: per image a :class:`~segbench.datasets.base.PanopticTarget`; predictions: per image
  ``(segments (H, W) int, segments_info)``; ``classes``: all ClassInfo (``isthing`` split).
"""

from __future__ import annotations


import numpy as np

from segbench.errors import InputError



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
    """COCO mask AP with segbench's evaluator (pycocotools semantics) -> ``(metrics, per_class)``."""
    import json
    import tempfile
    from pathlib import Path

    from segbench.engine.instance import evaluate_instance, instance_record

    gt_dict, results = coco_instances(gts, preds, thing_classes)
    with tempfile.TemporaryDirectory(prefix="segbench-run-") as tmp:
        gt_path, dt_path = Path(tmp) / "instances.json", Path(tmp) / "results.json"
        gt_path.write_text(json.dumps(gt_dict))
        dt_path.write_text(json.dumps(results))
        record = instance_record(evaluate_instance(gt_path, dt_path))
    return record["metrics"], record["per_class"]


def _segment_png(path, segments: np.ndarray) -> None:
    """Write a COCO-panoptic PNG: id = R + 256 G + 256^2 B."""
    from PIL import Image

    ids = segments.astype(np.uint32)
    rgb = np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(path)


def evaluate_panoptic(gts, preds, classes, names=None) -> tuple[dict, list[dict]]:
    """PQ/SQ/RQ with segbench's evaluator (panopticapi semantics) -> ``(metrics, per_class)``.

    Ground-truth areas are recounted from the segment maps; predicted segments_info entries
    without pixels are dropped (an empty segment is no prediction)."""
    import json
    import tempfile
    from pathlib import Path

    from segbench.engine.panoptic import evaluate_panoptic as evaluate_panoptic_files
    from segbench.engine.panoptic import panoptic_record

    categories = [{"id": int(c.id), "name": c.name, "isthing": int(bool(c.isthing))} for c in classes]
    with tempfile.TemporaryDirectory(prefix="segbench-run-") as tmp:
        root = Path(tmp)
        (root / "gt").mkdir()
        (root / "pred").mkdir()
        gt_json = {"images": [], "annotations": [], "categories": categories}
        pred_json = {"images": [], "annotations": [], "categories": categories}
        for i, (gt, (seg, info)) in enumerate(zip(gts, preds)):
            name = names[i] if names else f"image {i}"
            if gt.segments.shape != seg.shape:
                raise InputError(f"{name}: predicted segments are {seg.shape} but ground truth is {gt.segments.shape}")
            file_name = f"{i:06d}.png"
            h, w = gt.segments.shape
            image = {"id": i + 1, "file_name": file_name, "height": int(h), "width": int(w)}
            ids, counts = np.unique(gt.segments, return_counts=True)
            area = dict(zip(ids.tolist(), counts.tolist()))
            gt_info = [{"id": int(s["id"]), "category_id": int(s["category_id"]), "iscrowd": int(s.get("iscrowd", 0)),
                        "area": int(area.get(int(s["id"]), 0))} for s in gt.segments_info if area.get(int(s["id"]), 0)]
            present = set(np.unique(seg).tolist())
            listed = {int(s["id"]) for s in info}
            unknown = sorted(present - listed - {0})
            if unknown:
                raise InputError(f"{name}: predicted segment id {unknown[0]} has no segments_info entry")
            pred_info = [{"id": int(s["id"]), "category_id": int(s["category_id"])} for s in info if int(s["id"]) in present]
            _segment_png(root / "gt" / file_name, gt.segments)
            _segment_png(root / "pred" / file_name, seg)
            for js, segs in ((gt_json, gt_info), (pred_json, pred_info)):
                js["images"].append(image)
                js["annotations"].append({"image_id": i + 1, "file_name": file_name, "segments_info": segs})
        (root / "gt.json").write_text(json.dumps(gt_json))
        (root / "pred.json").write_text(json.dumps(pred_json))
        evaluation = evaluate_panoptic_files(root / "gt.json", root / "gt", root / "pred.json", root / "pred", jobs=1)
        record = panoptic_record(evaluation)
    return record["metrics"], record["per_class"]
