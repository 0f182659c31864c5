"""Hand-built panoptic cases with known PQ/SQ/RQ, the averaging rules, and the merge property."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from _panoptic_data import id_to_rgb, oracle
from segbench.engine.panoptic import evaluate_panoptic, panoptic_record
from segbench.metrics.panoptic import PanopticStats, compute, pq_metrics

CATS = [{"id": 1, "name": "person", "isthing": 1}, {"id": 2, "name": "car", "isthing": 1},
        {"id": 3, "name": "road", "isthing": 0}]


def run(tmp_path, images, check_oracle=True):
    """images: [(gt_map, gt_segments_info, pred_map, pred_segments_info)]; GT areas are filled in."""
    (tmp_path / "gt").mkdir(parents=True)
    (tmp_path / "pred").mkdir()
    ga, pa = [], []
    for k, (g, gi, p, pi) in enumerate(images):
        Image.fromarray(id_to_rgb(np.asarray(g))).save(tmp_path / "gt" / f"{k}.png")
        Image.fromarray(id_to_rgb(np.asarray(p))).save(tmp_path / "pred" / f"{k}.png")
        gi = [{"iscrowd": 0, **s, "area": int((np.asarray(g) == s["id"]).sum())} for s in gi]
        ga.append({"image_id": k, "file_name": f"{k}.png", "segments_info": gi})
        pa.append({"image_id": k, "file_name": f"{k}.png", "segments_info": pi})
    (tmp_path / "gt.json").write_text(json.dumps({"annotations": ga, "categories": CATS}))
    (tmp_path / "pred.json").write_text(json.dumps({"annotations": pa}))
    paths = {"gt_json": tmp_path / "gt.json", "gt_dir": tmp_path / "gt", "pred_json": tmp_path / "pred.json",
             "pred_dir": tmp_path / "pred"}
    ev = evaluate_panoptic(paths["gt_json"], paths["gt_dir"], paths["pred_json"], paths["pred_dir"], jobs=1)
    record = panoptic_record(ev)
    if check_oracle:
        ref = oracle(paths)
        for k, c in enumerate(ev.stats.categories):
            assert (ev.stats.tp[k], ev.stats.fp[k], ev.stats.fn[k]) == ref["stat"][c][1:]
    return ev.stats, record


def rows(record):
    return {r["name"]: r for r in record["per_class"]}


def blank(h=10, w=20):
    return np.zeros((h, w), np.int64)


def test_perfect_prediction(tmp_path):
    g = blank()
    g[:, :] = 30
    g[2:6, 2:6] = 10
    g[5:9, 10:18] = 20
    p = g * 7  # other ids, same segments
    stats, rec = run(tmp_path, [(g, [{"id": 10, "category_id": 1}, {"id": 20, "category_id": 2},
                                     {"id": 30, "category_id": 3}],
                                 p, [{"id": 70, "category_id": 1}, {"id": 140, "category_id": 2},
                                     {"id": 210, "category_id": 3}])])
    assert all(rec["metrics"][k] == 1.0 for k in ("PQ", "SQ", "RQ", "PQ_th", "PQ_st"))


def test_union_excludes_prediction_void_pixels(tmp_path):
    # GT: one person of 100 px, the rest VOID. Prediction: 60 px of it plus 30 px of VOID.
    g, p = blank(), blank()
    g[0:10, 0:10] = 1
    p[0:6, 0:10] = 5
    p[0:3, 10:20] = 5
    stats, rec = run(tmp_path, [(g, [{"id": 1, "category_id": 1}], p, [{"id": 5, "category_id": 1}])])
    # union = 90 + 100 - 60 - 30 = 100 -> IoU 0.6 (it would be 130 without the VOID rule)
    assert rows(rec)["person"]["tp"] == 1
    assert rec["metrics"]["PQ"] == pytest.approx(0.6, abs=1e-12)
    assert rec["metrics"]["SQ"] == pytest.approx(0.6, abs=1e-12)
    assert rec["metrics"]["RQ"] == 1.0
    assert rec["metrics"]["PQ_st"] is None  # no stuff category has TP/FP/FN: skipped, null
    road = rows(rec)["road"]  # no TP/FP/FN: 0.0 as panopticapi's per-class results, out of every mean
    assert (road["PQ"], road["SQ"], road["RQ"], road["tp"] + road["fp"] + road["fn"]) == (0.0, 0.0, 0.0, 0)


def test_iou_exactly_half_is_not_a_match(tmp_path):
    g, p = blank(), blank()
    g[0:10, 0:10] = 1
    p[0:5, 0:10] = 5  # IoU = 50 / 100
    stats, rec = run(tmp_path, [(g, [{"id": 1, "category_id": 1}], p, [{"id": 5, "category_id": 1}])])
    r = rows(rec)["person"]
    assert (r["tp"], r["fp"], r["fn"]) == (0, 1, 1)
    assert (r["PQ"], r["SQ"], r["RQ"]) == (0.0, 0.0, 0.0)


def test_unmatched_prediction_over_half_void_is_ignored(tmp_path):
    g, p = blank(), blank()
    g[:, 0:10] = 3  # road, left half; right half VOID
    p[:, 0:10] = 7
    p[0:5, 9:20] = 8  # car prediction: 5 px on road, 55 px on VOID -> ignored
    p[6:10, 9:14] = 9  # car prediction: 4 px on road, 16 on VOID -> 16/20 > 0.5 ignored
    p[6:10, 14:20] = 0
    _, rec = run(tmp_path, [(g, [{"id": 3, "category_id": 3}], p,
                             [{"id": 7, "category_id": 3}, {"id": 8, "category_id": 2}, {"id": 9, "category_id": 2}])])
    assert rows(rec)["car"]["fp"] == 0
    assert rows(rec)["road"]["tp"] == 1
    # exactly half on VOID is a false positive (strict > 0.5)
    g2, p2 = blank(), blank()
    g2[:, 0:10] = 3
    p2[:, 0:10] = 7
    p2[0:2, 5:15] = 8  # 10 px on road, 10 on VOID
    _, rec2 = run(tmp_path / "b", [(g2, [{"id": 3, "category_id": 3}], p2,
                                    [{"id": 7, "category_id": 3}, {"id": 8, "category_id": 2}])])
    assert rows(rec2)["car"]["fp"] == 1


def test_crowd_is_never_fn_and_absorbs_predictions_of_its_category(tmp_path):
    g, p = blank(), blank()
    g[:, :] = 3
    g[0:10, 0:10] = 50  # crowd of persons
    p[:, :] = 7
    p[0:8, 0:10] = 60  # person prediction 80 px, all in the crowd -> ignored
    p[8:10, 0:10] = 61  # car prediction in the crowd: the crowd is a person crowd -> FP
    _, rec = run(tmp_path, [(g, [{"id": 3, "category_id": 3}, {"id": 50, "category_id": 1, "iscrowd": 1}], p,
                             [{"id": 7, "category_id": 3}, {"id": 60, "category_id": 1},
                              {"id": 61, "category_id": 2}])])
    r = rows(rec)
    assert (r["person"]["tp"], r["person"]["fp"], r["person"]["fn"]) == (0, 0, 0)
    assert r["car"]["fp"] == 1
    assert r["person"]["PQ"] == 0.0  # no TP/FP/FN at all: 0.0 as panopticapi, skipped by the means


def test_only_the_last_crowd_region_of_a_category_is_tracked(tmp_path):
    g, p = blank(), blank()
    g[:, :] = 3
    g[:, 0:5] = 50  # first crowd region (JSON order) of persons
    g[:, 15:20] = 51  # second one: the only one panopticapi remembers
    p[:, :] = 7
    p[:, 0:5] = 60  # inside the first crowd -> counted as FP
    p[:, 15:20] = 61  # inside the second -> ignored
    info = [{"id": 3, "category_id": 3}, {"id": 50, "category_id": 1, "iscrowd": 1},
            {"id": 51, "category_id": 1, "iscrowd": 1}]
    preds = [{"id": 7, "category_id": 3}, {"id": 60, "category_id": 1}, {"id": 61, "category_id": 1}]
    _, rec = run(tmp_path / "a", [(g, info, p, preds)])
    assert rows(rec)["person"]["fp"] == 1
    _, rec = run(tmp_path / "b", [(g, [info[0], info[2], info[1]], p, preds)])  # other JSON order
    assert rows(rec)["person"]["fp"] == 1


def test_sq_zero_category_enters_the_mean_and_pq_is_not_sq_times_rq(tmp_path):
    g, p = blank(), blank()
    g[0:10, 0:10] = 1  # person, predicted with IoU 0.8
    g[0:10, 10:20] = 2  # car, missed
    p[0:8, 0:10] = 5
    _, rec = run(tmp_path, [(g, [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2}],
                             p, [{"id": 5, "category_id": 1}])])
    r = rows(rec)
    assert (r["car"]["PQ"], r["car"]["SQ"], r["car"]["RQ"], r["car"]["fn"]) == (0.0, 0.0, 0.0, 1)
    m = rec["metrics"]
    assert m["SQ"] == pytest.approx(0.4) and m["RQ"] == pytest.approx(0.5) and m["PQ"] == pytest.approx(0.4)
    assert m["PQ"] != pytest.approx(m["SQ"] * m["RQ"])


def test_category_mismatch_is_fp_and_fn(tmp_path):
    g, p = blank(), blank()
    g[0:10, 0:10] = 1
    p[0:10, 0:10] = 5
    _, rec = run(tmp_path, [(g, [{"id": 1, "category_id": 1}], p, [{"id": 5, "category_id": 2}])])
    r = rows(rec)
    assert (r["person"]["fn"], r["car"]["fp"], r["person"]["tp"]) == (1, 1, 0)
    assert rec["metrics"]["PQ"] == 0.0


def test_pq_metrics_formula_and_stacks():
    iou = np.array([1.6, 0.0, 2.7, 0.0])
    tp = np.array([2, 0, 3, 0])
    fp = np.array([1, 2, 0, 0])
    fn = np.array([1, 0, 1, 0])
    isthing = np.array([True, True, False, False])
    summary, per = pq_metrics(iou, tp, fp, fn, isthing)
    pq = [1.6 / 3, 0.0, 2.7 / 3.5]
    assert summary["PQ"] == pytest.approx(np.mean(pq))
    assert summary["PQ_th"] == pytest.approx((1.6 / 3 + 0) / 2)
    assert summary["SQ_st"] == pytest.approx(0.9)
    assert math.isnan(per["PQ"][3]) and not per["valid"][3]
    stacked, _ = pq_metrics(np.stack([iou, iou]), np.stack([tp, tp]), np.stack([fp, fp]), np.stack([fn, fn]), isthing)
    np.testing.assert_allclose(stacked["PQ"], [summary["PQ"]] * 2)
    empty, _ = pq_metrics(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), np.array([True, False]))
    assert math.isnan(empty["PQ"]) and math.isnan(empty["PQ_th"])


def test_merge_equals_one_pass(tmp_path):
    from _panoptic_data import random_dataset

    paths = random_dataset(tmp_path / "all", 11, n=9)
    ev = evaluate_panoptic(paths["gt_json"], paths["gt_dir"], paths["pred_json"], paths["pred_dir"], jobs=2)
    s = ev.stats
    rows_ = s.per_image()
    a = PanopticStats(s.categories, s.isthing, s.names)
    b = PanopticStats(s.categories, s.isthing, s.names)
    for k, name in enumerate(s.image_names):
        (a if k < 4 else b).add_image(name, *(rows_[key][k] for key in ("iou_sum", "tp", "fp", "fn")))
    merged = a.merge(b)
    np.testing.assert_allclose(merged.iou_sum, s.iou_sum, rtol=0, atol=1e-12)
    for key in ("tp", "fp", "fn"):
        np.testing.assert_array_equal(getattr(merged, key), getattr(s, key))
    assert merged.image_names == s.image_names
    assert compute(merged)[0] == pytest.approx(compute(s)[0], abs=1e-12, nan_ok=True)
    # per-image rows sum to the pooled statistics (the layout bootstrap intervals rely on)
    np.testing.assert_array_equal(rows_["tp"].sum(0), s.tp)
    np.testing.assert_allclose(rows_["iou_sum"].sum(0), s.iou_sum, atol=1e-12)


def test_empty_prediction_and_all_void_ground_truth(tmp_path):
    g, p = blank(), blank()
    g[:, :] = 3
    g[0:4, 0:4] = 1
    g2 = blank()  # all VOID, no segments
    p2 = blank()
    p2[0:3, 0:3] = 9  # a prediction entirely on VOID: ignored
    stats, rec = run(tmp_path, [(g, [{"id": 3, "category_id": 3}, {"id": 1, "category_id": 1}], p, []),
                                (g2, [], p2, [{"id": 9, "category_id": 2}])])
    r = rows(rec)
    assert (r["road"]["fn"], r["person"]["fn"], r["car"]["fp"]) == (1, 1, 0)
    assert rec["metrics"]["PQ"] == 0.0 and rec["metrics"]["SQ"] == 0.0
    assert rec["stats"]["per_image"]["fn"] == [[1, 0, 1], [0, 0, 0]]


def test_no_images_is_an_error_and_empty_statistics_give_null_metrics(tmp_path):
    from segbench.errors import FormatError

    with pytest.raises(FormatError, match="'annotations' is empty"):  # a wrong JSON, like instance's
        run(tmp_path, [], check_oracle=False)
    stats = PanopticStats([1, 2], np.array([True, False]), ["a", "b"])
    rec = panoptic_record(stats)
    assert rec["meta"]["num_images"] == 0
    assert all(v is None for v in rec["metrics"].values())
    assert rec["stats"]["per_image"]["tp"] == []


def test_threads_and_decoders_give_identical_statistics(tmp_path):
    from _panoptic_data import random_dataset

    paths = random_dataset(tmp_path, 21, n=10)
    args = (paths["gt_json"], paths["gt_dir"], paths["pred_json"], paths["pred_dir"])
    runs = [evaluate_panoptic(*args, jobs=j, decoder=d).stats for j, d in ((1, "opencv"), (3, "opencv"), (2, "pillow"), (2, "auto"))]
    first = runs[0].per_image()
    for other in runs[1:]:
        assert other.image_names == runs[0].image_names
        for key, value in other.per_image().items():
            np.testing.assert_array_equal(value, first[key])
