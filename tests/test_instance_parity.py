"""segbench's COCO AP against pycocotools' COCOeval on the same files.

The generated datasets (``coco_random.random_dataset``) hold crowd regions (uncompressed RLE), GT
``ignore`` flags (which pycocotools overwrites with ``iscrowd``), JSON areas that differ from the
mask areas, polygons, images without GT and images without detections, a category without GT,
tied scores, more than 100 detections of one category in one image, tiny (1-4 px) and empty
masks, and objects in all three area ranges. Equality is exact: the full precision
``[T, R, K, A, M]`` and recall arrays, and the 12 summary numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coco_random import (encode, non_canonical_dataset, pycoco_eval, random_dataset, rle_from_counts, segbench_eval,
                         stats_vector)


def check_same(tmp_path, gt, results, iou_type="segm", max_dets=None, area_ranges=None):
    kw = {}
    pk = {}
    if max_dets is not None:
        kw["max_dets"] = pk["max_dets"] = max_dets
    if area_ranges is not None:
        kw["area_ranges"] = area_ranges
        pk["area_rng"] = [r[1:] for r in area_ranges]
        pk["area_lbl"] = [r[0] for r in area_ranges]
    ref_stats, ref_p, ref_r = pycoco_eval(gt, results, iou_type, **pk)
    ev, res = segbench_eval(tmp_path, gt, results, iou_type=iou_type, **kw)
    assert res.precision.shape == ref_p.shape
    np.testing.assert_array_equal(res.precision, ref_p)
    np.testing.assert_array_equal(res.recall, ref_r)
    if max_dets is None and area_ranges is None:
        mine = stats_vector(res.metrics)
        np.testing.assert_allclose(mine, ref_stats, rtol=0, atol=1e-12)
    return ev, res, ref_stats


def describe(gt, results):
    """What a generated dataset covers (so that a parity test cannot silently test less)."""
    anns = gt["annotations"]
    img_with_gt = {a["image_id"] for a in anns}
    img_with_dt = {r["image_id"] for r in results}
    per_block = {}
    for r in results:
        per_block[(r["image_id"], r["category_id"])] = per_block.get((r["image_id"], r["category_id"]), 0) + 1
    scores = [r["score"] for r in results]
    areas = [a["area"] for a in anns if not a["iscrowd"]]
    return {
        "crowd": sum(a["iscrowd"] for a in anns),
        "ignore_flag": sum("ignore" in a for a in anns),
        "no_gt_images": len({i["id"] for i in gt["images"]} - img_with_gt),
        "no_dt_images": len({i["id"] for i in gt["images"]} - img_with_dt),
        "cats_without_gt": len({c["id"] for c in gt["categories"]} - {a["category_id"] for a in anns}),
        "tied_scores": len(scores) - len(set(scores)),
        "max_per_block": max(per_block.values()),
        "tiny": sum(a["area"] <= 4 for a in anns),
        "small": sum(a < 32 ** 2 for a in areas),
        "medium": sum(32 ** 2 <= a < 96 ** 2 for a in areas),
        "large": sum(a >= 96 ** 2 for a in areas),
        "polygons": sum(isinstance(a["segmentation"], list) for a in anns),
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_parity_random_segm(tmp_path, seed):
    gt, results = random_dataset(seed, n_images=14, max_gt=7)
    cover = describe(gt, results)
    for key in ("crowd", "no_gt_images", "no_dt_images", "cats_without_gt", "tied_scores", "small", "medium"):
        assert cover[key] > 0, (key, cover)
    assert cover["max_per_block"] > 100
    check_same(tmp_path, gt, results)


def test_generated_data_covers_every_case():
    covers = [describe(*random_dataset(seed, n_images=14, max_gt=7)) for seed in range(4)]
    for key in ("crowd", "ignore_flag", "tiny", "large", "polygons"):
        assert sum(c[key] for c in covers) > 0, key


@pytest.mark.parametrize("seed", [0, 5])
def test_parity_random_bbox(tmp_path, seed):
    gt, results = random_dataset(seed, n_images=10)
    check_same(tmp_path, gt, results, iou_type="bbox")


def test_parity_custom_max_dets_and_area_ranges(tmp_path):
    gt, results = random_dataset(7, n_images=10)
    check_same(tmp_path, gt, results, max_dets=(1, 3, 20))
    ranges = (("all", 0, 1e10), ("small", 0, 100), ("medium", 100, 400), ("large", 400, 1e10))
    check_same(tmp_path, gt, results, area_ranges=ranges)


def test_results_with_bbox_take_area_from_bbox(tmp_path):
    """loadRes: when the first result carries a bbox, every area is bbox w*h (not the mask's)."""
    from pycocotools import mask as mask_utils

    gt, results = random_dataset(11, n_images=10)
    for r in results:
        x, y, w, h = mask_utils.toBbox(r["segmentation"])
        r["bbox"] = [float(x), float(y), float(w) * 1.7, float(h) * 1.7]  # areas far from the masks'
    _, res, _ = check_same(tmp_path, gt, results)
    assert res.metrics["AP"] is not None


def test_gt_annotation_id_zero(tmp_path):
    """pycocotools stores the matched GT id and tests it for non-zero: a match to id 0 is a FP."""
    gt, results = random_dataset(3, n_images=8, gt_id_zero=True)
    assert any(a["id"] == 0 for a in gt["annotations"])
    check_same(tmp_path, gt, results)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), crowd_p=st.sampled_from([0.0, 0.2, 0.6]),
       decimals=st.integers(0, 3), n_cats=st.integers(2, 5), iou_type=st.sampled_from(["segm", "bbox"]))
def test_parity_hypothesis(tmp_path, seed, crowd_p, decimals, n_cats, iou_type):
    gt, results = random_dataset(seed, n_images=6, n_cats=n_cats, max_gt=4, crowd_p=crowd_p,
                                 many_dets_image=False, score_decimals=decimals, sizes=((16, 20), (33, 47)))
    if not results:
        return  # pycocotools cannot load an empty results list (tested separately)
    check_same(tmp_path, gt, results, iou_type=iou_type)


def test_parity_synth_writer_output(tmp_path):
    """`segbench synth` instance output: crowd regions, polygons, RLE; shapes-world predictions."""
    from segbench.datasets.synth_writer import SynthConfig, write_synthetic

    write_synthetic(SynthConfig(tmp_path / "s", 24, 96, 128, 8, 3, 0.7), ("instance",))
    gt = json.loads((tmp_path / "s" / "instance" / "instances.json").read_text())
    results = json.loads((tmp_path / "s" / "instance" / "results.json").read_text())
    assert any(a["iscrowd"] for a in gt["annotations"])
    assert any(isinstance(a["segmentation"], list) for a in gt["annotations"])
    check_same(tmp_path, gt, results)


def nuclei_case(seed=0):
    """Real nuclei (DSB 2018 fixture) against perturbed copies: eroded, dilated, shifted, dropped,
    merged into false positives, plus spurious blobs; scores favour the better masks."""
    import cv2

    from conftest import SHARED_FIXTURES

    inst = cv2.imread(str(SHARED_FIXTURES / "nuclei-dsb2018" / "nuclei_inst.png"), cv2.IMREAD_UNCHANGED)
    assert inst is not None and inst.ndim == 2
    rng = np.random.default_rng(seed)
    h, w = inst.shape
    ids = [int(i) for i in np.unique(inst) if i]
    images = [{"id": 1, "height": h, "width": w, "file_name": "nuclei_img.png"}]
    anns, results = [], []
    kernel = np.ones((3, 3), np.uint8)
    for n, i in enumerate(ids):
        m = inst == i
        crowd = n % 40 == 39  # a few nuclei marked as crowd regions
        anns.append({"id": n + 1, "image_id": 1, "category_id": 1, "segmentation": encode(m),
                     "area": float(m.sum()), "bbox": [0, 0, 1, 1], "iscrowd": int(crowd)})
        r = rng.random()
        if r < 0.1:
            continue  # missed
        mu8 = m.astype(np.uint8)
        if r < 0.3:
            p = cv2.erode(mu8, kernel, iterations=int(rng.integers(1, 3)))
        elif r < 0.5:
            p = cv2.dilate(mu8, kernel, iterations=int(rng.integers(1, 4)))
        elif r < 0.7:
            dy, dx = rng.integers(-4, 5, 2)
            p = np.roll(np.roll(mu8, dy, 0), dx, 1)
        else:
            p = mu8
        p = p.astype(bool)
        inter = (p & m).sum()
        iou = inter / max((p | m).sum(), 1)
        score = round(float(np.clip(iou + rng.normal(0, 0.1), 0.01, 0.99)), 2)
        results.append({"image_id": 1, "category_id": 1, "segmentation": encode(p), "score": score})
        if r > 0.95:  # a duplicate detection of the same nucleus
            results.append({"image_id": 1, "category_id": 1, "segmentation": encode(p), "score": round(score / 2, 2)})
    for _ in range(15):  # false positives: blobs in the background
        y, x = rng.integers(10, h - 10), rng.integers(10, w - 10)
        m = np.zeros((h, w), bool)
        m[y - 4:y + 4, x - 5:x + 5] = True
        results.append({"image_id": 1, "category_id": 1, "segmentation": encode(m),
                        "score": round(float(rng.uniform(0.05, 0.6)), 2)})
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "nucleus"}]}
    return gt, results


def test_parity_real_nuclei(tmp_path):
    gt, results = nuclei_case()
    assert len(gt["annotations"]) > 100
    _, res, ref = check_same(tmp_path, gt, results)
    assert 0.3 < res.metrics["AP"] < 0.95  # a realistic, non-degenerate score
    assert res.metrics["APs"] is not None  # nuclei are small objects (< 32^2 px)


def test_zero_length_runs_stop_the_iou_walk_as_in_pycocotools(tmp_path):
    """``rleIou`` walks both run lists until the remaining counts of both are 0 at once: when both
    masks load a zero-length run at the same position (non-canonical RLE, as a column-by-column
    encoder writes it), the walk stops there. Two identical masks then have IoU 0, not 1."""
    seg = {"size": [4, 4], "counts": [4, 0, 4, 8]}  # background 4, foreground 0, background 4, foreground 8
    gt = {"images": [{"id": 1, "height": 4, "width": 4}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 8.0,
                           "bbox": [2, 0, 2, 4], "segmentation": seg}]}
    results = [{"image_id": 1, "category_id": 1, "segmentation": rle_from_counts(seg["counts"], 4, 4), "score": 0.9}]
    _, res, ref = check_same(tmp_path, gt, results)
    assert ref[0] == 0.0 and res.metrics["AP"] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_parity_non_canonical_rle(tmp_path, seed, iou_type):
    """Masks with zero-length runs (GT and results): the IoU walk's early stop (segm) and
    ``toBbox`` skipping zero-length foreground runs (bbox, results without a box)."""
    gt, results = non_canonical_dataset(seed, n_images=8, max_gt=5)
    check_same(tmp_path, gt, results, iou_type=iou_type)


def test_bbox_evaluation_reads_result_masks_at_their_own_size(tmp_path):
    """For box AP pycocotools takes a mask result's box and area from its RLE alone: the image
    size may differ or be missing from the ground truth (segbench refused both)."""
    from pycocotools import mask as mask_utils

    gt, results = random_dataset(4, n_images=6)
    grown = []
    for r in results:
        m = mask_utils.decode(r["segmentation"]).astype(bool)
        big = np.zeros((m.shape[0] + 3, m.shape[1] + 2), bool)
        big[:m.shape[0], :m.shape[1]] = m
        grown.append(dict(r, segmentation=encode(big)))
    check_same(tmp_path, gt, grown, iou_type="bbox")
    for im in gt["images"]:
        del im["height"], im["width"]
    (tmp_path / "nosize").mkdir()
    check_same(tmp_path / "nosize", gt, results, iou_type="bbox")
