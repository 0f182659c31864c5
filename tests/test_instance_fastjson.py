"""The Numba results-JSON scanner (fast path) against ``json`` + the general loader."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from coco_random import random_dataset
from segbench.engine import instance as engine


def load_both(tmp_path, gt, results, text=None):
    g = tmp_path / "gt.json"
    r = tmp_path / "res.json"
    g.write_text(json.dumps(gt))
    r.write_text(text if text is not None else json.dumps(results))
    truth = engine.load_ground_truth(g)
    fast = engine.load_results(r, truth)
    slow = engine.results_from_list(json.loads(r.read_text()), truth, r)
    return truth, fast, slow


def assert_same(truth, fast, slow):
    np.testing.assert_array_equal(fast.image, slow.image)
    np.testing.assert_array_equal(fast.category, slow.category)
    np.testing.assert_array_equal(fast.score, slow.score)
    if len(slow.score):
        masks = engine.dt_masks(slow, truth)
        np.testing.assert_array_equal(fast.masks.cnts, masks.cnts)
        np.testing.assert_array_equal(fast.masks.start, masks.start)
        np.testing.assert_array_equal(fast.area, masks.area)


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_path_equals_general_loader(tmp_path, seed):
    gt, results = random_dataset(seed, n_images=10)
    assert any("\\" in r["segmentation"]["counts"] for r in results)  # JSON-escaped RLE characters
    truth, fast, slow = load_both(tmp_path, gt, results)
    assert fast.masks is not None  # the fast path was taken
    assert_same(truth, fast, slow)


def test_fast_path_accepts_layout_variants(tmp_path):
    gt, results = random_dataset(2, n_images=6)
    varied = []
    for i, r in enumerate(results):
        r = dict(r)
        if i % 2:
            r = dict(reversed(list(r.items())))  # key order
        if i % 3 == 0:
            r["note"] = 'extra "quoted" \u00e9 \\ key'  # json.dumps escapes all of these
            r["rank"] = -1.5e-3
            r["flag"] = None
        if i % 5 == 0:
            r["score"] = int(r["score"] > 0.5)  # integer scores
        varied.append(r)
    for text in (json.dumps(varied, indent=2), json.dumps(varied, separators=(",", ":"))):
        truth, fast, slow = load_both(tmp_path, gt, varied, text)
        assert fast.masks is not None
        assert_same(truth, fast, slow)


def test_fast_path_empty_list(tmp_path):
    gt, _ = random_dataset(2, n_images=3)
    truth, fast, slow = load_both(tmp_path, gt, [], " [ ] \n")
    assert fast.masks is not None and len(fast.score) == 0


@pytest.mark.parametrize("change", [
    lambda r: r.update(bbox=[1, 2, 3, 4]),              # bbox decides areas: general path
    lambda r: r.update(segmentation=[[1, 1, 5, 1, 5, 5]]),  # polygons
    lambda r: r.update(extra={"nested": [1, 2]}),        # nested unknown value
    lambda r: r.update(score=float("nan")),              # NaN (json accepts it, segbench refuses)
    lambda r: r.update(image_id=float(r["image_id"])),   # not an integer literal
    lambda r: r.update(name="caf\u00e9"),                # non-ASCII
])
def test_unusual_results_take_the_general_path(tmp_path, change):
    gt, results = random_dataset(3, n_images=5)
    change(results[0])
    g = tmp_path / "gt.json"
    r = tmp_path / "res.json"
    g.write_text(json.dumps(gt))
    r.write_text(json.dumps(results, ensure_ascii=False))
    truth = engine.load_ground_truth(g)
    try:
        dt = engine.load_results(r, truth)
    except Exception as exc:  # the general path words the error
        from segbench.errors import FormatError

        assert isinstance(exc, FormatError)
        return
    assert dt.masks is None


def test_scanner_rejects_invalid_json(tmp_path):
    from segbench.kernels.coco import scan_results_json

    base = b'[{"image_id": 1, "category_id": 2, "segmentation": {"size": [2, 2], "counts": "04"}, "score": 0.5}]'
    bad = [
        base[:-1],                              # unterminated list
        base + b"x",                            # trailing garbage
        base.replace(b"0.5", b"05"),            # leading zero
        base.replace(b"0.5", b".5"),            # no integer part
        base.replace(b'"04"', b'"0\\x4"'),      # invalid escape
        base.replace(b", \"score\"", b" \"score\""),  # missing comma
        base.replace(b'"score": 0.5', b'"score": 0.5, "score": 0.6'),  # duplicate key
        base.replace(b'"score": 0.5', b'"x": tru, "score": 0.5'),     # bad literal
    ]
    for text in [base] + bad:
        buf = np.frombuffer(text, np.uint8)
        arrays = [np.zeros(4, np.int64) for _ in range(4)] + [np.zeros((4, 2), np.int64)] + [np.zeros(4, np.int64) for _ in range(2)]
        n, ok, bound = scan_results_json(buf, *arrays)
        valid = True
        try:
            data = json.loads(text)
            valid = not any(math.isnan(r.get("score", 0)) for r in data) and text.count(b'"score"') == 1
        except json.JSONDecodeError:
            valid = False
        assert ok == valid, text
    n, ok, bound = scan_results_json(np.frombuffer(base, np.uint8), *arrays)
    assert (n, ok, bound) == (1, True, 2)
