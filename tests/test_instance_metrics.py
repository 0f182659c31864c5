"""Hand-built COCO cases with known AP, and the merge-by-concatenation property."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coco_random import encode, pycoco_eval, random_dataset, stats_vector
from segbench.engine.instance import evaluate_instance
from segbench.metrics.instance import compute, merge

H, W = 20, 30


def rect(y0, y1, x0, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def gt_file(tmp_path, objects, n_images=1, cats=(1,)):
    """objects: (image_id, category_id, mask, iscrowd)."""
    anns = [{"id": i + 1, "image_id": img, "category_id": c, "segmentation": encode(m), "area": float(m.sum()),
             "bbox": [0, 0, 1, 1], "iscrowd": int(crowd)} for i, (img, c, m, crowd) in enumerate(objects)]
    gt = {"images": [{"id": i + 1, "height": H, "width": W} for i in range(n_images)], "annotations": anns,
          "categories": [{"id": c, "name": f"c{c}"} for c in cats]}
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    return p, gt


def res_file(tmp_path, dets):
    """dets: (image_id, category_id, mask, score)."""
    res = [{"image_id": img, "category_id": c, "segmentation": encode(m), "score": s} for img, c, m, s in dets]
    p = tmp_path / "res.json"
    p.write_text(json.dumps(res))
    return p, res


def run(tmp_path, objects, dets, **kw):
    g, gt = gt_file(tmp_path, objects, **kw)
    r, res = res_file(tmp_path, dets)
    result = compute(evaluate_instance(g, r).stats)
    if res:  # pycocotools cannot load an empty list
        np.testing.assert_allclose(stats_vector(result.metrics), pycoco_eval(gt, res)[0], atol=1e-12, rtol=0)
    return result.metrics, result


def test_perfect_detection_scores_one(tmp_path):
    m = rect(2, 12, 3, 13)  # 100 px: small
    metrics, _ = run(tmp_path, [(1, 1, m, 0)], [(1, 1, m, 0.9)])
    assert metrics["AP"] == pytest.approx(1.0) and metrics["AP50"] == pytest.approx(1.0)
    assert metrics["APs"] == pytest.approx(1.0)
    assert metrics["APm"] is None and metrics["APl"] is None  # no GT in those ranges: null, not -1
    assert metrics["AR1"] == 1.0 and metrics["ARm"] is None


def test_partial_overlap_counts_at_low_thresholds_only(tmp_path):
    gt = rect(0, 8, 0, 10)  # 80 px
    dt = rect(0, 8, 0, 7)  # 56 px inside: IoU 0.7 -> TP at 0.50 ... 0.70 (5 of 10 thresholds)
    metrics, _ = run(tmp_path, [(1, 1, gt, 0)], [(1, 1, dt, 0.5)])
    assert metrics["AP"] == pytest.approx(0.5)
    assert metrics["AP50"] == pytest.approx(1.0) and metrics["AP75"] == pytest.approx(0.0)


def test_half_recall_samples_51_of_101_points(tmp_path):
    a, b = rect(0, 5, 0, 5), rect(10, 15, 10, 15)
    metrics, _ = run(tmp_path, [(1, 1, a, 0), (1, 1, b, 0)], [(1, 1, a, 0.9)])
    assert metrics["AP"] == pytest.approx(51 / 101)
    assert metrics["AR100"] == pytest.approx(0.5)


def test_false_positive_ranked_first_halves_precision(tmp_path):
    a = rect(0, 5, 0, 5)
    fp = rect(10, 15, 10, 15)
    metrics, _ = run(tmp_path, [(1, 1, a, 0)], [(1, 1, fp, 0.9), (1, 1, a, 0.8)])
    # precision at recall 1 is 1/2 (envelope), so every recall point samples 0.5
    assert metrics["AP"] == pytest.approx(0.5)


def test_crowd_absorbs_several_detections_without_false_positives(tmp_path):
    crowd = rect(0, 20, 0, 15)
    person = rect(5, 10, 20, 25)
    inside = [rect(0, 6, 0, 6), rect(8, 14, 2, 8), rect(12, 19, 5, 12)]
    dets = [(1, 1, m, 0.95) for m in inside] + [(1, 1, person, 0.5)]
    metrics, _ = run(tmp_path, [(1, 1, crowd, 1), (1, 1, person, 0)], dets)
    # the three detections inside the crowd region are ignored (IoU = |d ∩ crowd| / |d| = 1)
    assert metrics["AP"] == pytest.approx(1.0)


def test_category_without_gt_is_left_out_of_the_mean(tmp_path):
    a = rect(0, 5, 0, 5)
    metrics, result = run(tmp_path, [(1, 1, a, 0)], [(1, 1, a, 0.9), (1, 2, a, 0.9)], cats=(1, 2))
    assert metrics["AP"] == pytest.approx(1.0)
    assert result.per_class[1]["AP"] is None and result.per_class[0]["AP"] == pytest.approx(1.0)


def test_empty_results_give_zero_not_a_crash(tmp_path):
    a = rect(0, 5, 0, 5)
    metrics, result = run(tmp_path, [(1, 1, a, 0)], [], cats=(1, 2))
    assert metrics["AP"] == 0.0 and metrics["AR100"] == 0.0
    assert result.per_class[1]["AP"] is None


def test_ignore_flag_is_overwritten_by_iscrowd(tmp_path):
    a, b = rect(0, 5, 0, 5), rect(10, 15, 10, 15)
    g, gt = gt_file(tmp_path, [(1, 1, a, 0), (1, 1, b, 0)])
    gt["annotations"][1]["ignore"] = 1  # not crowd: pycocotools still counts it
    g.write_text(json.dumps(gt))
    r, res = res_file(tmp_path, [(1, 1, a, 0.9)])
    m = compute(evaluate_instance(g, r).stats).metrics
    assert m["AP"] == pytest.approx(51 / 101)
    np.testing.assert_allclose(stats_vector(m), pycoco_eval(gt, res)[0], atol=1e-12, rtol=0)


def test_fix_maxdets_reads_ap_at_the_largest_max_dets(tmp_path):
    a = rect(0, 5, 0, 5)
    g, _ = gt_file(tmp_path, [(1, 1, a, 0)])
    r, _ = res_file(tmp_path, [(1, 1, a, 0.9)])
    stats = evaluate_instance(g, r, max_dets=(1, 5, 20)).stats
    assert compute(stats).metrics["AP"] is None  # pycocotools reads AP at maxDets=100: -1
    assert compute(stats, fix_maxdets=True).metrics["AP"] == pytest.approx(1.0)
    assert set(compute(stats).metrics) >= {"AR1", "AR5", "AR20", "AP50"}


# ---------------------------------------------------------------- merge by concatenation


def split_dataset(gt, results, keep_ids):
    sub_gt = dict(gt)
    sub_gt["images"] = [i for i in gt["images"] if i["id"] in keep_ids]
    sub_gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in keep_ids]
    return sub_gt, [r for r in results if r["image_id"] in keep_ids]


@pytest.mark.parametrize("seed", [0, 4])
def test_merge_of_disjoint_image_sets_equals_one_pass(tmp_path, seed):
    gt, results = random_dataset(seed, n_images=12)
    ids = [i["id"] for i in gt["images"]]
    parts = [set(ids[0::3]), set(ids[1::3]), set(ids[2::3])]
    stats = []
    for n, part in enumerate(parts):
        sg, sr = split_dataset(gt, results, part)
        (tmp_path / f"g{n}.json").write_text(json.dumps(sg))
        (tmp_path / f"r{n}.json").write_text(json.dumps(sr))
        stats.append(evaluate_instance(tmp_path / f"g{n}.json", tmp_path / f"r{n}.json").stats)
    (tmp_path / "g.json").write_text(json.dumps(gt))
    (tmp_path / "r.json").write_text(json.dumps(results))
    whole = compute(evaluate_instance(tmp_path / "g.json", tmp_path / "r.json").stats)
    merged = compute(merge(stats[2], stats[0], stats[1]))  # order of parts does not matter
    np.testing.assert_array_equal(merged.precision, whole.precision)
    np.testing.assert_array_equal(merged.recall, whole.recall)
    assert merged.metrics == whole.metrics


def test_merge_refuses_overlapping_images(tmp_path):
    gt, results = random_dataset(1, n_images=4)
    (tmp_path / "g.json").write_text(json.dumps(gt))
    (tmp_path / "r.json").write_text(json.dumps(results))
    s = evaluate_instance(tmp_path / "g.json", tmp_path / "r.json").stats
    with pytest.raises(ValueError, match="share images"):
        merge(s, s)


def test_threads_over_blocks_give_identical_statistics(tmp_path, monkeypatch):
    from segbench.engine import instance as engine

    gt, results = random_dataset(6, n_images=12)
    (tmp_path / "g.json").write_text(json.dumps(gt))
    (tmp_path / "r.json").write_text(json.dumps(results))
    monkeypatch.setattr(engine, "PARALLEL_MIN_WORK", 0)
    for iou_type in ("segm", "bbox"):
        threaded = engine.evaluate_instance(tmp_path / "g.json", tmp_path / "r.json", jobs=3, iou_type=iou_type).stats
        one = engine.evaluate_instance(tmp_path / "g.json", tmp_path / "r.json", jobs=1, iou_type=iou_type).stats
        np.testing.assert_array_equal(threaded.dt_code, one.dt_code)
        np.testing.assert_array_equal(threaded.block_npig, one.block_npig)
