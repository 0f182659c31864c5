"""Bootstrap intervals over images: reproducible by seed, vectorised = per-resample loop, sane."""

import math

import numpy as np
import pytest

from _report_records import PANOPTIC_CATEGORIES, panoptic, panoptic_counts, semantic
from segbench.errors import InputError
from segbench.metrics.semantic import semantic_metrics
from segbench.report import bootstrap


def pq_average_loop(iou_sum, tp, fp, fn, isthing):
    """panopticapi's PQStat.pq_average written out per category (the official loop)."""
    out = {}
    for suffix, want in (("", None), ("_th", True), ("_st", False)):
        pq = sq = rq = 0.0
        n = 0
        for c in range(len(tp)):
            if want is not None and bool(isthing[c]) != want:
                continue
            if tp[c] + fp[c] + fn[c] == 0:
                continue
            n += 1
            pq_c = iou_sum[c] / (tp[c] + 0.5 * fp[c] + 0.5 * fn[c])
            sq_c = iou_sum[c] / tp[c] if tp[c] != 0 else 0.0
            rq_c = tp[c] / (tp[c] + 0.5 * fp[c] + 0.5 * fn[c])
            pq, sq, rq = pq + pq_c, sq + sq_c, rq + rq_c
        out["PQ" + suffix] = pq / n if n else math.nan
        out["SQ" + suffix] = sq / n if n else math.nan
        out["RQ" + suffix] = rq / n if n else math.nan
    return out


def test_panoptic_from_counts_matches_pq_average_loop():
    rng = np.random.default_rng(3)
    for _ in range(50):
        c = int(rng.integers(1, 7))
        tp = rng.integers(0, 4, c)
        fp = rng.integers(0, 3, c)
        fn = rng.integers(0, 3, c)
        iou = tp * rng.uniform(0.5, 1.0, c)
        isthing = rng.random(c) < 0.5
        got = bootstrap.panoptic_from_counts(iou, tp, fp, fn, isthing)
        want = pq_average_loop(iou, tp, fp, fn, isthing)
        for k in bootstrap.PANOPTIC_KEYS:
            assert (math.isnan(got[k]) and math.isnan(want[k])) or got[k] == pytest.approx(want[k], abs=1e-12), k


def test_panoptic_stacks_equal_rows():
    iou, tp, fp, fn = panoptic_counts(5, images=6)
    isthing = np.array([t for _, _, t in PANOPTIC_CATEGORIES])
    stacked = bootstrap.panoptic_from_counts(iou, tp, fp, fn, isthing)
    for i in range(6):
        row = bootstrap.panoptic_from_counts(iou[i], tp[i], fp[i], fn[i], isthing)
        for k in bootstrap.PANOPTIC_KEYS:
            assert np.isnan(stacked[k][i]) == math.isnan(row[k])
            if not math.isnan(row[k]):
                assert stacked[k][i] == pytest.approx(row[k])


def test_resample_weights_count_each_draw():
    w = bootstrap.resample_weights(7, 50, seed=1)
    assert w.shape == (50, 7) and (w.sum(axis=1) == 7).all()
    idx = np.random.default_rng(1).integers(0, 7, size=(50, 7))
    for b in range(50):
        assert (np.bincount(idx[b], minlength=7) == w[b]).all()


def test_semantic_vectorised_equals_loop_over_resamples():
    rec = semantic("a", 1, 0.7, images=9)
    point, samples = bootstrap.resampled_metrics(rec, resamples=40, seed=7)
    per = rec["stats"]["per_image"]
    tp, gt, pred = (np.asarray(per[k]) for k in ("tp", "gt", "pred"))
    idx = np.random.default_rng(7).integers(0, 9, size=(40, 9))
    for b in range(40):
        one, _ = semantic_metrics(tp[idx[b]].sum(0), gt[idx[b]].sum(0), pred[idx[b]].sum(0))
        for k, v in one.items():
            assert samples[k][b] == pytest.approx(v, nan_ok=True), (k, b)
    for k in ("pixel_acc", "miou", "fwiou"):
        assert point[k] == pytest.approx(rec["metrics"][k])


@pytest.mark.parametrize("make", [lambda: semantic("a", 2, 0.6, images=12), lambda: panoptic("p", 4, images=12)])
def test_intervals_reproducible_and_contain_point(make):
    rec = make()
    a = bootstrap.bootstrap_intervals(rec, 95, resamples=300, seed=0)
    b = bootstrap.bootstrap_intervals(rec, 95, resamples=300, seed=0)
    c = bootstrap.bootstrap_intervals(rec, 95, resamples=300, seed=1)
    assert a == b
    assert a != c
    assert a
    for key, iv in a.items():
        stored = rec["metrics"][key]
        assert iv.point == pytest.approx(stored)
        assert iv.low <= iv.point <= iv.high, key
        assert iv.low < iv.high, key  # the images differ, so the metric varies over resamples
    narrow = bootstrap.bootstrap_intervals(rec, 50, resamples=300, seed=0)
    for key in a:
        assert a[key].low <= narrow[key].low <= narrow[key].high <= a[key].high


def test_panoptic_skips_absent_category_and_needs_isthing():
    rec = panoptic("p", 4)
    point, _ = bootstrap.resampled_metrics(rec, resamples=5)
    assert point["PQ_st"] == pytest.approx(rec["metrics"]["PQ_st"])  # only "road": "sky" never occurs
    for row in rec["per_class"]:
        row.pop("isthing")
    with pytest.raises(InputError, match="isthing"):
        bootstrap.resampled_metrics(rec, resamples=5, source="p.json")
    # the panoptic evaluator also stores the flags beside the category ids
    rec["stats"]["isthing"] = [t for _, _, t in PANOPTIC_CATEGORIES]
    point, _ = bootstrap.resampled_metrics(rec, resamples=5)
    assert point["PQ_th"] == pytest.approx(rec["metrics"]["PQ_th"])


def test_more_images_narrower_interval():
    small = bootstrap.bootstrap_intervals(semantic("a", 3, 0.7, images=6), resamples=400)["miou"]
    large = bootstrap.bootstrap_intervals(semantic("a", 3, 0.7, images=96), resamples=400)["miou"]
    assert (large.high - large.low) < (small.high - small.low)


def test_bad_input():
    rec = semantic("a", 1, 0.7)
    with pytest.raises(InputError, match="--ci"):
        bootstrap.bootstrap_intervals(rec, ci=100)
    del rec["stats"]
    assert not bootstrap.supports_bootstrap(rec)
    with pytest.raises(InputError, match="cannot be bootstrapped"):
        bootstrap.bootstrap_intervals(rec)


def test_blocks_of_resamples_equal_one_draw(monkeypatch):
    rec = semantic("a", 5, 0.6, images=10)
    _, whole = bootstrap.resampled_metrics(rec, resamples=97, seed=3)
    monkeypatch.setattr(bootstrap, "CHUNK_ELEMENTS", 10 * 7)  # blocks of 7 resamples
    _, blocks = bootstrap.resampled_metrics(rec, resamples=97, seed=3)
    for key in whole:
        np.testing.assert_array_equal(whole[key], blocks[key])
