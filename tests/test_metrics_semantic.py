"""Semantic metrics: hand-computed examples, conventions, and an independent oracle (scikit-learn)."""

import math

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import jaccard_score

from segbench.errors import InputError
from segbench.kernels.confusion import confusion_matrix_update
from segbench.metrics.semantic import SemanticStats, compute, semantic_metrics


def stats_from(pairs, n, ignore=255):
    stats = SemanticStats(n)
    for i, (gt, pred) in enumerate(pairs):
        cm = np.zeros((n, n), np.int64)
        assert confusion_matrix_update(np.asarray(gt, np.uint8), np.asarray(pred, np.uint8), n, ignore, cm) == -1
        stats.add_image(f"img{i}", cm)
    return stats


def test_hand_computed_three_class_example():
    # GT / prediction over 10 valid pixels and 2 ignored ones.
    gt = [[0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 255, 255]]
    pred = [[0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2]]
    summary, pc = compute(stats_from([(gt, pred)], 3))
    # cm = [[3,1,0],[0,2,1],[1,0,2]]; tp = 3,2,2; gt = 4,3,3; pred = 4,3,3
    np.testing.assert_allclose(pc["iou"], [3 / 5, 2 / 4, 2 / 4])
    np.testing.assert_allclose(pc["acc"], [3 / 4, 2 / 3, 2 / 3])
    np.testing.assert_allclose(pc["dice"], [6 / 8, 4 / 6, 4 / 6])
    assert summary["pixel_acc"] == pytest.approx(7 / 10)
    assert summary["mean_acc"] == pytest.approx((3 / 4 + 2 / 3 + 2 / 3) / 3)
    assert summary["miou"] == pytest.approx((0.6 + 0.5 + 0.5) / 3)
    assert summary["fwiou"] == pytest.approx(0.4 * 0.6 + 0.3 * 0.5 + 0.3 * 0.5)
    assert summary["mdice"] == pytest.approx((0.75 + 2 / 3 + 2 / 3) / 3)


def test_class_predicted_but_absent_from_gt_counts_as_zero_by_default():
    gt = [[0, 0, 0, 0]]
    pred = [[0, 0, 1, 1]]
    summary, pc = compute(stats_from([(gt, pred)], 3))
    assert pc["iou"][0] == pytest.approx(0.5)
    assert pc["iou"][1] == 0.0
    assert math.isnan(pc["iou"][2])  # union 0: skipped
    assert summary["miou"] == pytest.approx(0.25)
    assert math.isnan(pc["acc"][1])
    assert summary["mean_acc"] == pytest.approx(0.5)
    assert summary["fwiou"] == pytest.approx(0.5)


def test_detectron2_convention_scores_only_classes_with_gt():
    gt = [[0, 0, 0, 0]]
    pred = [[0, 0, 1, 1]]
    summary, pc = compute(stats_from([(gt, pred)], 3), "detectron2")
    assert math.isnan(pc["iou"][1])
    assert summary["miou"] == pytest.approx(0.5)
    assert summary["fwiou"] == pytest.approx(0.5)
    assert summary["pixel_acc"] == pytest.approx(0.5)


def test_all_ignored_gives_undefined_metrics():
    summary, pc = compute(stats_from([([[255, 255]], [[0, 1]])], 2))
    assert all(math.isnan(v) for v in summary.values())
    assert np.isnan(pc["iou"]).all()


def test_empty_dataset():
    summary, _ = compute(SemanticStats(4))
    assert all(math.isnan(v) for v in summary.values())


def test_missed_images_count_as_false_negatives():
    stats = stats_from([([[0, 1]], [[0, 1]])], 2)
    stats.add_image("missing", np.zeros((2, 2), np.int64), missed=np.array([0, 2]))
    summary, pc = compute(stats)
    # class 1: tp 1, gt 3, pred 1 -> IoU 1/3
    assert pc["iou"][1] == pytest.approx(1 / 3)
    assert summary["pixel_acc"] == pytest.approx(2 / 4)


def test_unknown_convention():
    with pytest.raises(InputError, match="convention"):
        semantic_metrics([1], [1], [1], "mmseg2")


def test_stacked_counts_give_per_row_metrics(rng):
    pairs = [(rng.integers(0, 4, (8, 8)), rng.integers(0, 4, (8, 8))) for _ in range(5)]
    stats = stats_from(pairs, 4)
    tp, gt, pred = stats.per_image_counts()
    stacked, _ = semantic_metrics(tp, gt, pred)
    for i in range(5):
        single, _ = semantic_metrics(tp[i], gt[i], pred[i])
        for key in single:
            assert stacked[key][i] == pytest.approx(single[key], nan_ok=True)


def test_merge_equals_one_pass(rng):
    pairs = [(rng.integers(0, 5, (12, 9)), rng.integers(0, 5, (12, 9))) for _ in range(6)]
    a = stats_from(pairs[:2], 5)
    b = stats_from(pairs[2:], 5)
    whole = stats_from(pairs, 5)
    merged = a.merge(b)
    np.testing.assert_array_equal(merged.confusion, whole.confusion)
    assert compute(merged)[0] == pytest.approx(compute(whole)[0], nan_ok=True)
    for x, y in zip(merged.per_image_counts(), whole.per_image_counts()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("seed", range(5))
def test_against_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    gt = rng.integers(0, n, (3, 40, 50)).astype(np.uint8)
    pred = np.where(rng.random(gt.shape) < 0.6, gt, rng.integers(0, n, gt.shape)).astype(np.uint8)
    gt[rng.random(gt.shape) < 0.05] = 255
    stats = stats_from(list(zip(gt, pred)), n)
    valid = gt != 255
    labels = list(range(n))
    sk_cm = sk_confusion_matrix(gt[valid], pred[valid], labels=labels)
    np.testing.assert_array_equal(stats.confusion, sk_cm)  # rows = GT in both
    _, pc = compute(stats)
    present = (sk_cm.sum(0) + sk_cm.sum(1)) > 0
    sk_iou = jaccard_score(gt[valid], pred[valid], labels=labels, average=None, zero_division=0)
    np.testing.assert_allclose(pc["iou"][present], sk_iou[present])
