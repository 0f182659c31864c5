"""Plain-numpy references of the panoptic kernels (``kernels/panoptic.py``), compared in tests.

They favour obviousness over speed and share no code with the kernels: ids are decoded with
array arithmetic, pairs counted with ``np.unique`` over ``gt * 2^24 + pred`` keys, and the PQ rules
applied with Python dictionaries, following panopticapi's ``pq_compute_single_core`` step by step.
"""

from __future__ import annotations

import numpy as np

OFFSET = 256**3


def rgb_to_id(rgb: np.ndarray, order: str = "RGB") -> np.ndarray:
    """``id = R + 256 G + 256^2 B`` of an ``(H, W, 3|4)`` uint8 array (int64 result)."""
    c = rgb.astype(np.int64)
    r, g, b = (c[..., 0], c[..., 1], c[..., 2]) if order == "RGB" else (c[..., 2], c[..., 1], c[..., 0])
    return r + 256 * g + 256 * 256 * b


def id_to_rgb(ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], axis=-1).astype(np.uint8)


def pair_counts_reference(gt_map: np.ndarray, pred_map: np.ndarray, gt_ids, pred_ids) -> np.ndarray:
    """Same layout as :func:`segbench.kernels.panoptic.pair_counts` from id maps (int64)."""
    gt_ids = list(gt_ids)
    pred_ids = list(pred_ids)
    rows = {0: 0, **{v: k + 1 for k, v in enumerate(gt_ids)}}
    cols = {0: 0, **{v: k + 1 for k, v in enumerate(pred_ids)}}
    counts = np.zeros((len(gt_ids) + 2, len(pred_ids) + 2), np.int64)
    keys, n = np.unique(gt_map.astype(np.uint64) * OFFSET + pred_map.astype(np.uint64), return_counts=True)
    for key, c in zip(keys.tolist(), n.tolist()):
        g, p = divmod(key, OFFSET)
        counts[rows.get(g, len(gt_ids) + 1), cols.get(p, len(pred_ids) + 1)] += c
    return counts


def image_pq_reference(gt_map: np.ndarray, pred_map: np.ndarray, gt_segments: list[dict],
                       pred_segments: list[dict], categories: list[int]):
    """Per-category ``(iou_sum, tp, fp, fn)`` of one image, panopticapi's rules on id maps.

    ``gt_segments``/``pred_segments``: COCO ``segments_info`` lists (GT areas are taken from
    them, predicted areas counted in ``pred_map``). ``categories``: category ids (output order).
    """
    col = {c: k for k, c in enumerate(categories)}
    iou_sum = np.zeros(len(categories))
    tp, fp, fn = (np.zeros(len(categories), np.int64) for _ in range(3))
    gt = {s["id"]: s for s in gt_segments}
    pred = {s["id"]: dict(s) for s in pred_segments}
    ids, n = np.unique(pred_map, return_counts=True)
    for i, c in zip(ids.tolist(), n.tolist()):
        if i in pred:
            pred[i]["area"] = c
    keys, n = np.unique(gt_map.astype(np.uint64) * OFFSET + pred_map.astype(np.uint64), return_counts=True)
    inter = {divmod(k, OFFSET): c for k, c in zip(keys.tolist(), n.tolist())}
    gt_hit, pred_hit = set(), set()
    for (g, p), i in inter.items():
        if g not in gt or p not in pred or gt[g]["iscrowd"] == 1:
            continue
        if gt[g]["category_id"] != pred[p]["category_id"]:
            continue
        iou = i / (pred[p]["area"] + gt[g]["area"] - i - inter.get((0, p), 0))
        if iou > 0.5:
            k = col[gt[g]["category_id"]]
            tp[k] += 1
            iou_sum[k] += iou
            gt_hit.add(g)
            pred_hit.add(p)
    crowd = {}
    for g, s in gt.items():
        if g in gt_hit:
            continue
        if s["iscrowd"] == 1:
            crowd[s["category_id"]] = g
            continue
        fn[col[s["category_id"]]] += 1
    for p, s in pred.items():
        if p in pred_hit:
            continue
        ignored = inter.get((0, p), 0)
        if s["category_id"] in crowd:
            ignored += inter.get((crowd[s["category_id"]], p), 0)
        if ignored / s["area"] > 0.5:
            continue
        fp[col[s["category_id"]]] += 1
    return iou_sum, tp, fp, fn
