"""The instance/panoptic evaluation glue of `segbench run` (engine/run_eval.py): segbench's own evaluators behind in-memory inputs."""

import numpy as np
import pytest

from segbench.datasets.base import ClassInfo, InstanceTarget, PanopticTarget
from segbench.engine.run_eval import coco_instances, evaluate_instances, evaluate_panoptic
from segbench.errors import InputError

THINGS = [ClassInfo(2, "circle", isthing=True), ClassInfo(3, "square", isthing=True)]


def _gt():
    masks = np.zeros((2, 32, 32), bool)
    masks[0, 2:12, 2:12] = True
    masks[1, 15:30, 10:25] = True
    return InstanceTarget(masks, np.array([0, 1]), np.array([False, False]))


def test_instances_perfect_and_empty_predictions():
    gt = _gt()
    perfect = {"masks": gt.masks.copy(), "labels": np.array([0, 1]), "scores": np.array([0.9, 0.8])}
    metrics, per_class = evaluate_instances([gt], [perfect], THINGS)
    assert metrics["AP"] == pytest.approx(1.0) and metrics["AP50"] == pytest.approx(1.0)
    assert metrics["APm"] is None and metrics["APl"] is None  # no GT in those area ranges
    assert [r["id"] for r in per_class] == [2, 3]
    empty = {"masks": np.zeros((0, 32, 32), bool), "labels": np.zeros(0, int), "scores": np.zeros(0)}
    metrics, _ = evaluate_instances([gt], [empty], THINGS)
    assert metrics["AP"] == 0.0


def test_coco_dicts_use_class_ids_and_rle():
    gt_dict, results = coco_instances([_gt()], [{"masks": _gt().masks, "labels": np.array([1, 1]),
                                                 "scores": np.array([0.5, 0.4])}], THINGS)
    assert [a["category_id"] for a in gt_dict["annotations"]] == [2, 3]
    assert gt_dict["annotations"][0]["area"] == 100 and gt_dict["annotations"][0]["bbox"] == [2, 2, 10, 10]
    assert all(r["category_id"] == 3 and isinstance(r["segmentation"]["counts"], str) for r in results)


CLASSES = [ClassInfo(0, "bg", isthing=False), ClassInfo(1, "thing", isthing=True)]


def test_panoptic_matching_void_and_crowd():
    gt = np.zeros((10, 10), np.int32)
    gt[:, :5] = 1          # stuff bg
    gt[0:4, 5:10] = 2      # thing A (20 px)
    gt[6:10, 5:10] = 3     # crowd thing (20 px)
    gt[4:6, 5:10] = 0      # VOID (10 px)
    gt_info = [{"id": 1, "category_id": 0, "iscrowd": 0}, {"id": 2, "category_id": 1, "iscrowd": 0},
               {"id": 3, "category_id": 1, "iscrowd": 1}]
    pred = np.zeros((10, 10), np.int32)
    pred[:, :5] = 1
    pred[0:5, 5:10] = 2    # A plus 5 VOID pixels: IoU = 20 / (25 + 20 - 20 - 5) = 1.0
    pred[6:10, 5:10] = 3   # inside the crowd region: not a false positive
    info = [{"id": 1, "category_id": 0}, {"id": 2, "category_id": 1}, {"id": 3, "category_id": 1}]
    metrics, per_class = evaluate_panoptic([PanopticTarget(gt, gt_info)], [(pred, info)], CLASSES)
    assert metrics["PQ"] == pytest.approx(1.0)
    assert per_class[1]["tp"] == 1 and per_class[1]["fp"] == 0 and per_class[1]["fn"] == 0
    # a thing prediction with IoU <= 0.5 is a false positive and the GT a false negative
    pred2 = pred.copy()
    pred2[0:4, 5:10] = 1   # A predicted as background stuff
    pred2[0:2, 5:7] = 2    # a small wrong-place thing
    pred2[4, 5:10] = 0     # (left in place, these 5 VOID pixels would make it mostly VOID: no FP)
    metrics, per_class = evaluate_panoptic([PanopticTarget(gt, gt_info)], [(pred2, info)], CLASSES)
    th = per_class[1]
    assert (th["tp"], th["fp"], th["fn"]) == (0, 1, 1) and th["PQ"] == 0.0
    bg = per_class[0]  # bg GT 50 px; pred bg 50 + 20 - 4 = 66 px, IoU 50/66
    assert bg["tp"] == 1 and bg["SQ"] == pytest.approx(50 / 66)
    assert metrics["PQ_st"] == pytest.approx(50 / 66) and metrics["PQ_th"] == 0.0


def test_panoptic_unknown_segment_is_an_error():
    gt = np.ones((4, 4), np.int32)
    info = [{"id": 1, "category_id": 0, "iscrowd": 0}]
    with pytest.raises(InputError, match="segment id 7 has no segments_info"):
        evaluate_panoptic([PanopticTarget(gt, info)], [(np.full((4, 4), 7, np.int32), [])], CLASSES)


def test_instances_match_pycocotools_on_random_predictions():
    """The glue writes standard COCO files and scores them with segbench's evaluator: the same
    dicts through pycocotools' COCOeval must give the same 12 numbers."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(7)
    gts, preds = [], []
    for _ in range(6):
        k = int(rng.integers(1, 4))
        masks = np.zeros((k, 40, 40), bool)
        for j in range(k):
            y, x, h, w = rng.integers(0, 25, 4)
            masks[j, y:y + h + 3, x:x + w + 3] = True
        gts.append(InstanceTarget(masks, rng.integers(0, 2, k), rng.random(k) < 0.15))
        shifted = np.roll(masks, int(rng.integers(-3, 4)), axis=2)
        extra = rng.random((2, 40, 40)) < 0.02
        preds.append({"masks": np.concatenate([shifted, extra]), "labels": rng.integers(0, 2, k + 2),
                      "scores": rng.random(k + 2)})
    metrics, _ = evaluate_instances(gts, preds, THINGS)
    gt_dict, results = coco_instances(gts, preds, THINGS)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_dict
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    keys = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
    for key, value in zip(keys, ev.stats):
        expected = None if value < 0 else float(value)
        assert metrics[key] == (None if expected is None else pytest.approx(expected, abs=1e-12)), key
