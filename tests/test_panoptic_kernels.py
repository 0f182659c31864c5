"""Numba panoptic kernels against the plain-numpy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _panoptic_data import CATEGORIES, id_to_rgb, random_image, segments_info
from segbench.kernels.panoptic import image_pq_counts, pair_counts
from segbench.kernels.reference_panoptic import (image_pq_reference, pair_counts_reference, rgb_to_id)

CAT_IDS = [c["id"] for c in CATEGORIES]


def _as(rgb, order, alpha):
    out = rgb[..., ::-1] if order == "BGR" else rgb
    if alpha:
        out = np.concatenate([out, np.full(out.shape[:2] + (1,), 255, np.uint8)], -1)
    return np.ascontiguousarray(out)


@pytest.mark.parametrize("order,alpha", [("RGB", False), ("BGR", False), ("RGB", True), ("BGR", True)])
def test_pair_counts_matches_reference(rng, order, alpha):
    ids = np.array([0, 1, 255, 256, 65535, 65536, 2**24 - 1, 123456], np.int64)
    gt = rng.choice(ids, size=(37, 53))
    pred = rng.choice(ids[::-1], size=(37, 53))
    gt_ids = np.array(sorted({1, 256, 2**24 - 1, 65536}), np.int64)  # 255, 65535, 123456 unlisted
    pred_ids = np.array(sorted({255, 65535, 123456, 2**24 - 1}), np.int64)
    counts, ug, up = pair_counts(_as(id_to_rgb(gt), order, alpha), _as(id_to_rgb(pred), order, alpha),
                                 gt_ids, pred_ids, order, order)
    np.testing.assert_array_equal(counts, pair_counts_reference(gt, pred, gt_ids, pred_ids))
    assert ug in (255, 65535, 123456) and up in (1, 256, 65536)
    assert ug == int(gt.reshape(-1)[~np.isin(gt.reshape(-1), [0, *gt_ids])][0])
    assert up == int(pred.reshape(-1)[~np.isin(pred.reshape(-1), [0, *pred_ids])][0])
    assert counts.sum() == gt.size


def test_rgb_decoding_is_r_plus_256g_plus_65536b():
    rgb = np.array([[[1, 2, 3], [255, 0, 0], [0, 0, 1]]], np.uint8)
    np.testing.assert_array_equal(rgb_to_id(rgb), [[1 + 2 * 256 + 3 * 65536, 255, 65536]])
    ids = np.array([1 + 2 * 256 + 3 * 65536, 255, 65536], np.int64)
    counts, ug, up = pair_counts(rgb, rgb[..., ::-1].copy(), np.sort(ids), np.sort(ids), "RGB", "BGR")
    assert ug == up == -1
    np.testing.assert_array_equal(np.diagonal(counts)[1:-1], [1, 1, 1])


def _kernel_image(gt, gt_info, pred, pred_info):
    col = {c: k for k, c in enumerate(CAT_IDS)}
    g_ids = np.array(sorted(s["id"] for s in gt_info), np.int64)
    p_ids = np.array(sorted(s["id"] for s in pred_info), np.int64)
    gmap = {s["id"]: s for s in gt_info}
    pmap = {s["id"]: s for s in pred_info}
    counts, ug, up = pair_counts(id_to_rgb(gt), id_to_rgb(pred), g_ids, p_ids)
    assert ug == up == -1
    crowd_of_cat = np.full(len(CAT_IDS), -1, np.int64)
    for s in gt_info:  # JSON order: the last crowd segment of a category wins
        if s["iscrowd"]:
            crowd_of_cat[col[s["category_id"]]] = int(np.searchsorted(g_ids, s["id"])) + 1
    return image_pq_counts(
        counts, np.array([gmap[i]["area"] for i in g_ids], np.int64),
        np.array([col[gmap[i]["category_id"]] for i in g_ids], np.int64),
        np.array([gmap[i]["iscrowd"] for i in g_ids], bool),
        np.array([col[pmap[i]["category_id"]] for i in p_ids], np.int64), crowd_of_cat, len(CAT_IDS))


@pytest.mark.parametrize("kind", ["mixed", "stuff", "things"])
def test_image_pq_counts_matches_reference(kind):
    rng = np.random.default_rng(["mixed", "stuff", "things"].index(kind))
    for _ in range(30):
        gt, gs, pred, ps = random_image(rng, 40, 56, kind)
        gt_info, pred_info = segments_info(gt, gs, rng), segments_info(pred, ps, rng)
        got = _kernel_image(gt, gt_info, pred, pred_info)
        want = image_pq_reference(gt, pred, gt_info, pred_info, CAT_IDS)
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-12)
        for a, b in zip(got[1:], want[1:]):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_image_pq_counts_property(data):
    """Tiny maps over few ids (many ties, crowds, VOID) agree with the reference."""
    h = data.draw(st.integers(1, 7))
    w = data.draw(st.integers(1, 7))
    gt = np.array(data.draw(st.lists(st.sampled_from([0, 3, 9, 300, 70000]), min_size=h * w, max_size=h * w))).reshape(h, w)
    pred = np.array(data.draw(st.lists(st.sampled_from([0, 4, 9, 500, 80000]), min_size=h * w, max_size=h * w))).reshape(h, w)
    cats = data.draw(st.lists(st.sampled_from(CAT_IDS[:2] + CAT_IDS[4:5]), min_size=10, max_size=10))
    crowd = data.draw(st.lists(st.booleans(), min_size=5, max_size=5))
    gs = {v: (cats[k], int(crowd[k])) for k, v in enumerate([3, 9, 300, 70000])}
    ps = {v: (cats[5 + k], 0) for k, v in enumerate([4, 9, 500, 80000])}
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    gt_info, pred_info = segments_info(gt, gs, rng), segments_info(pred, ps, rng)
    got = _kernel_image(gt, gt_info, pred, pred_info)
    want = image_pq_reference(gt, pred, gt_info, pred_info, CAT_IDS)
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-12)
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_array_equal(a, b)


def _blocky(rng, h, w, ids, n_rects):
    out = np.zeros((h, w), np.int64)
    for _ in range(n_rects):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        out[y:y + int(rng.integers(1, h + 1)), x:x + int(rng.integers(1, w + 1))] = int(rng.choice(ids))
    return out


@pytest.mark.parametrize("h,w", [(61, 67), (8, 8), (1, 13), (40, 64), (3, 5)])
def test_pair_counts_fast_path_on_long_runs(h, w):
    """Large constant regions take the 8-pixels-at-a-time path; changes at any offset and the tail
    of fewer than 8 pixels take the per-pixel path; unaligned buffers are copied."""
    rng = np.random.default_rng(h * 100 + w)
    ids = np.array([0, 7, 256, 70000, 2**24 - 1, 99999], np.int64)
    for k in range(20):
        gt = _blocky(rng, h, w, ids, 6)
        pred = _blocky(rng, h, w, ids[::-1], 4)
        gt_ids = np.array([7, 256, 70000, 2**24 - 1], np.int64)  # 99999 unlisted in GT
        pred_ids = np.array([7, 70000, 99999, 2**24 - 1], np.int64)  # 256 unlisted in pred
        order = "BGR" if k % 2 else "RGB"
        g_rgb, p_rgb = _as(id_to_rgb(gt), order, False), _as(id_to_rgb(pred), "RGB", False)
        if k % 3 == 0:  # an unaligned view of the same pixels
            buf = np.empty(g_rgb.size + 1, np.uint8)[1:]
            buf[:] = g_rgb.reshape(-1)
            g_rgb = buf.reshape(g_rgb.shape)
        counts, ug, up = pair_counts(g_rgb, p_rgb, gt_ids, pred_ids, order, "RGB")
        np.testing.assert_array_equal(counts, pair_counts_reference(gt, pred, gt_ids, pred_ids))
        flat_g, flat_p = gt.reshape(-1), pred.reshape(-1)
        bad_g = flat_g[~np.isin(flat_g, [0, *gt_ids])]
        bad_p = flat_p[~np.isin(flat_p, [0, *pred_ids])]
        assert ug == (int(bad_g[0]) if bad_g.size else -1)
        assert up == (int(bad_p[0]) if bad_p.size else -1)


def test_eight_pixel_pattern_words_equal_the_bytes_of_a_constant_run():
    from segbench.kernels.panoptic import _pattern

    for t in (0, 1, 0xABCDEF, 0xFF0000, 0x00FF00, 0x123456, 2**24 - 1):
        block = np.tile(np.array([t & 255, (t >> 8) & 255, t >> 16], np.uint8), 8)
        assert [int(v) for v in _pattern(t)] == block.view("<u8").tolist(), hex(t)


QUICK_START = """
import sys
import numpy as np
from segbench.kernels.numba_startup import allow_fast_start, start_kernels
from segbench.kernels import confusion, panoptic
from segbench.kernels.reference import confusion_matrix_reference
from segbench.kernels.reference_panoptic import id_to_rgb, pair_counts_reference
if sys.argv[1] == "fast":
    allow_fast_start()
start_kernels(panoptic.warm_up)
start_kernels(confusion.warm_up)
rng = np.random.default_rng(5)
for dtype, n in ((np.uint8, 19), (np.uint16, 300)):  # the uint16 kernels load after warm-up
    gt = rng.integers(0, n + 1, (37, 41)).astype(dtype)
    gt[gt == n] = 255
    pred = rng.integers(0, n, (37, 41)).astype(dtype)
    cm = np.zeros((n, n), np.int64)
    assert confusion.confusion_matrix_update(gt, pred, n, 255, cm) == -1
    assert (cm == confusion_matrix_reference(gt, pred, n, 255)[0]).all()
ids = rng.choice(np.arange(1, 2**24), 9, replace=False)
g, p = rng.choice(np.r_[0, ids], (23, 19)), rng.choice(np.r_[0, ids], (23, 19))
gi, pi = np.unique(g[g > 0]), np.unique(p[p > 0])
counts, _, _ = panoptic.pair_counts(id_to_rgb(g), id_to_rgb(p), gi, pi)
assert (counts == pair_counts_reference(g, p, gi, pi)).all()
print("registries" if "numba.np.arraymath" in sys.modules else "quick", "blas" if "scipy.linalg.cython_blas" in sys.modules else "")
import scipy.linalg.cython_blas
"""


def test_command_line_kernel_start_up_skips_registries_and_blas_and_kernels_stay_exact():
    import subprocess
    import sys

    def run(mode):
        out = subprocess.run([sys.executable, "-c", QUICK_START, mode], capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout.split()

    assert run("library") == ["registries", "blas"]  # the normal way (compiles or fills the cache)
    assert run("fast") == ["quick"]  # a CLI process: loaded from the cache, no refresh, no BLAS probe


def test_decode_buffers_and_fallback_for_opencv_without_dst(tmp_path, monkeypatch):
    import cv2
    from PIL import Image

    from segbench.datasets import panoptic_io, readers

    ids = np.arange(12 * 10, dtype=np.int64).reshape(12, 10) * 977
    Image.fromarray(id_to_rgb(ids)).save(tmp_path / "a.png")
    Image.fromarray(id_to_rgb(ids[:, ::-1].copy())).save(tmp_path / "b.png")
    buffer = np.empty(panoptic_io.panoptic_png_shape(tmp_path / "a.png"), np.uint8)
    a, order = panoptic_io.read_panoptic_png(tmp_path / "a.png", "opencv", buffer)
    np.testing.assert_array_equal(rgb_to_id(a, order), ids)
    assert order == "BGR" and np.shares_memory(a, buffer)
    b, _ = panoptic_io.read_panoptic_png(tmp_path / "b.png", "opencv", buffer)
    np.testing.assert_array_equal(rgb_to_id(b, order), ids[:, ::-1])
    assert np.shares_memory(a, b)  # the same buffer, decoded into twice

    real = cv2.imread

    def old_opencv(path, *args):  # OpenCV < 5: imread(filename[, flags]) only
        if len(args) > 1:
            raise TypeError("imread() takes at most 2 arguments")
        return real(path, *args)

    monkeypatch.setattr(cv2, "imread", old_opencv)
    monkeypatch.setattr(readers, "IMREAD_INTO", [True])
    c, order = panoptic_io.read_panoptic_png(tmp_path / "a.png", "opencv", buffer)
    np.testing.assert_array_equal(rgb_to_id(c, order), ids)
    assert readers.IMREAD_INTO == [False]
