"""Numba kernels of ``segbench.kernels.coco`` against their plain references and pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from segbench.kernels import coco as K
from segbench.kernels import reference_coco as ref
from coco_random import blob, encode, perturb


def decode_many(strings, pixels):
    from segbench.engine.instance import decode_masks

    return decode_masks(strings, np.asarray(pixels, np.int64), "<test>", lambda i: f"mask #{i}")


def random_masks(rng, n, h, w):
    return [blob(rng, h, w) for _ in range(n)] + [np.zeros((h, w), bool), np.ones((h, w), bool)]


def test_decode_matches_reference_and_pycocotools(rng):
    h, w = 37, 53
    masks = random_masks(rng, 40, h, w)
    strings = [encode(m)["counts"] for m in masks]
    dec = decode_many(strings, [h * w] * len(strings))
    for i, (m, s) in enumerate(zip(masks, strings)):
        counts = dec.cnts[dec.start[i]:dec.start[i + 1]].tolist()
        assert counts == ref.decode_rle_string(s.encode())
        assert ref.encode_rle_string(counts).decode() == s
        np.testing.assert_array_equal(ref.counts_to_mask(counts, h, w), m)
        assert dec.area[i] == m.sum() == mask_utils.area(encode(m))
        flat = np.flatnonzero(m.T.reshape(-1))
        assert dec.first[i] == (flat[0] if flat.size else -1)
        assert dec.last[i] == (flat[-1] if flat.size else -1)


def test_decode_large_counts():
    """Counts needing 5+ characters and negative deltas (index > 2) round-trip."""
    h, w = 1000, 1200
    m = np.zeros((h, w), bool)
    m[10:990, 5:600] = True
    m[400:401, 700:1100] = True
    s = encode(m)["counts"]
    dec = decode_many([s], [h * w])
    assert dec.cnts[: dec.start[1]].tolist() == ref.decode_rle_string(s.encode())
    assert dec.area[0] == m.sum()


@pytest.mark.parametrize("bad, status", [
    ("0 3", K.RLE_BAD_CHAR),     # space is outside '0'..'o'
    ("0p3", K.RLE_BAD_CHAR),     # 'p' too
    ("0`", K.RLE_TRUNCATED),     # '`' = 48 + 0x30 has the continuation bit and nothing follows
    ("4", K.RLE_SIZE_MISMATCH),  # 4 pixels of background but the image has 10
])
def test_decode_reports_bad_strings(bad, status):
    blob_ = np.frombuffer(bad.encode(), np.uint8)
    cnts = np.zeros(len(bad) + 1, np.uint32)
    start = np.zeros(2, np.int64)
    i, st = K.decode_rle_strings(blob_, np.array([0]), np.array([len(bad)]), False, np.array([10]), cnts, start)
    assert (i, st) == (0, status)


def test_decode_rejects_negative_counts():
    # counts 5, 5, 5, then a delta of -9 from counts[1]: 5 - 9 < 0
    s = ref.encode_rle_string([5, 5, 5, -4])
    cnts = np.zeros(10, np.uint32)
    i, st = K.decode_rle_strings(np.frombuffer(s, np.uint8), np.array([0]), np.array([len(s)]), False,
                                 np.array([11]), cnts, np.zeros(2, np.int64))
    assert (i, st) == (0, K.RLE_BAD_COUNT)


def test_mask_iou_matches_dense_reference_and_pycocotools(rng):
    h, w = 41, 29
    dts = random_masks(rng, 25, h, w)
    gts = random_masks(rng, 6, h, w) + [perturb(rng, dts[0], 1)]
    crowd = [0, 1, 0, 0, 1, 0, 0, 1, 0]
    gd = decode_many([encode(m)["counts"] for m in gts], [h * w] * len(gts))
    dd = decode_many([encode(m)["counts"] for m in dts], [h * w] * len(dts))
    D, G = len(dts), len(gts)
    ious = np.zeros(D * G)
    K.mask_iou_blocks(dd.cnts, dd.start[:-1], dd.start[1:], dd.area, dd.first, dd.last,
                      gd.cnts, gd.start[:-1], gd.start[1:], gd.area, gd.first, gd.last, np.array(crowd, bool),
                      np.array([0]), np.array([D]), np.array([0]), np.array([G]), np.array([0]), ious, 0, 1)
    ious = ious.reshape(D, G)
    np.testing.assert_array_equal(ious, ref.mask_iou(dts, gts, crowd))
    expected = mask_utils.iou([encode(m) for m in dts], [encode(m) for m in gts], crowd)
    np.testing.assert_array_equal(ious, expected)


def test_box_iou_matches_pycocotools(rng):
    dt = np.round(rng.uniform(0, 50, (30, 4)), 1)
    gt = np.round(rng.uniform(0, 50, (7, 4)), 1)
    gt[0] = dt[0]
    crowd = np.array([0, 1, 0, 0, 1, 0, 0], bool)
    ious = np.zeros(30 * 7)
    K.box_iou_blocks(dt, gt, crowd, np.array([0]), np.array([30]), np.array([0]), np.array([7]),
                     np.array([0]), ious, 0, 1)
    np.testing.assert_array_equal(ious.reshape(30, 7), mask_utils.iou(dt.tolist(), gt.tolist(), crowd.astype(np.uint8).tolist()))
    np.testing.assert_array_equal(ious.reshape(30, 7), ref.box_iou(dt, gt, crowd))


def test_rle_to_bbox_matches_pycocotools(rng):
    h, w = 23, 31
    masks = random_masks(rng, 30, h, w)
    dec = decode_many([encode(m)["counts"] for m in masks], [h * w] * len(masks))
    boxes = np.zeros((len(masks), 4))
    K.rle_to_bbox(dec.cnts, dec.start, np.full(len(masks), h), np.full(len(masks), w), boxes)
    np.testing.assert_array_equal(boxes, mask_utils.toBbox([encode(m) for m in masks]))
    for i in range(len(masks)):
        assert boxes[i].tolist() == ref.rle_bbox(dec.cnts[dec.start[i]:dec.start[i + 1]].tolist(), h, w)
    assert any(b[3] == h and b[1] == 0 for b in boxes[:-2])  # the full-height quirk occurs


def _match_case(rng, D, G):
    ious = np.round(rng.uniform(0, 1, (D, G)), 2)  # ties and exact threshold hits
    ious[rng.random((D, G)) < 0.4] = 0
    crowd = rng.random(G) < 0.3
    area = rng.choice([10.0, 500.0, 2000.0, 20000.0], G)
    ids = rng.permutation(G) + (0 if rng.random() < 0.3 else 1)  # sometimes an id 0
    dt_area = rng.choice([5.0, 700.0, 5000.0, 50000.0], D)
    return ious, crowd, area, ids, dt_area


@pytest.mark.parametrize("seed", range(8))
def test_match_blocks_matches_reference(seed):
    from segbench.metrics.instance import DEFAULT_AREA_RANGES, iou_thresholds

    rng = np.random.default_rng(seed)
    areas = np.array([[lo, hi] for _, lo, hi in DEFAULT_AREA_RANGES])
    thrs = iou_thresholds()
    blocks = [_match_case(rng, int(rng.integers(0, 12)), int(rng.integers(0, 6))) for _ in range(6)]
    ndt = np.array([b[0].shape[0] for b in blocks])
    ngt = np.array([b[0].shape[1] for b in blocks])
    dt0 = np.concatenate([[0], np.cumsum(ndt)[:-1]])
    gt0 = np.concatenate([[0], np.cumsum(ngt)[:-1]])
    iou_off = np.concatenate([[0], np.cumsum(ndt * ngt)[:-1]])
    ious = np.concatenate([b[0].reshape(-1) for b in blocks])
    codes = np.zeros((ndt.sum(), 4, 10), np.uint8)
    npig = np.zeros((len(blocks), 4), np.int64)
    K.match_blocks(ious, iou_off, dt0, ndt, gt0, ngt, dt0,
                   np.concatenate([b[2] for b in blocks]), np.concatenate([b[1] for b in blocks]),
                   np.concatenate([b[3] for b in blocks]) != 0, np.concatenate([b[4] for b in blocks]),
                   areas, thrs, codes, npig, 0, len(blocks))
    for b, (iou, crowd, area, ids, dt_area) in enumerate(blocks):
        for a in range(4):
            want, want_npig = ref.match(iou, area, crowd, ids, dt_area, areas[a], thrs)
            np.testing.assert_array_equal(codes[dt0[b]:dt0[b] + ndt[b], a, :], want)
            assert npig[b, a] == want_npig


@pytest.mark.parametrize("seed", range(6))
def test_accumulate_matches_reference(seed):
    from segbench.metrics.instance import recall_thresholds

    rng = np.random.default_rng(seed)
    T, A = 3, 2
    rec = recall_thresholds()
    max_dets = np.array([1, 4, 100])
    cats = []
    for k in range(4):
        blocks = []
        for _ in range(int(rng.integers(0 if k == 3 else 1, 6))):
            n = int(rng.integers(0, 9))
            scores = np.sort(np.round(rng.random(n), 1))[::-1]  # ties across and within blocks
            codes = rng.choice([0, 1, 2], (n, A, T), p=[0.4, 0.4, 0.2]).astype(np.uint8)
            npig = rng.integers(0 if k == 2 else 1, 5, A)
            blocks.append((scores, codes, npig))
        cats.append(blocks)
    flat = [b for blocks in cats for b in blocks]
    ndt = np.array([len(b[0]) for b in flat], np.int64)
    dt0 = np.concatenate([[0], np.cumsum(ndt)[:-1]]).astype(np.int64)
    cat_blk0 = np.concatenate([[0], np.cumsum([len(c) for c in cats])]).astype(np.int64)
    scores = np.concatenate([b[0] for b in flat] + [np.zeros(0)])
    codes = np.concatenate([b[1] for b in flat] + [np.zeros((0, A, T), np.uint8)])
    rank = np.concatenate([np.arange(len(b[0])) for b in flat] + [np.zeros(0, np.int64)]).astype(np.int64)
    npig = np.array([b[2] for b in flat], np.int64).reshape(-1, A)
    precision = -np.ones((T, len(rec), 4, A, 3))
    recall = -np.ones((T, 4, A, 3))
    K.accumulate(cat_blk0, dt0, ndt, npig, scores, codes, rank, rec, max_dets, precision, recall)
    for k, blocks in enumerate(cats):
        for a in range(A):
            for m, md in enumerate(max_dets):
                got = ref.accumulate_category([(s, c[:, a, :], n[a]) for s, c, n in blocks], rec, md)
                if got is None:
                    assert (precision[:, :, k, a, m] == -1).all() and (recall[:, k, a, m] == -1).all()
                else:
                    np.testing.assert_array_equal(precision[:, :, k, a, m], got[0])
                    np.testing.assert_array_equal(recall[:, k, a, m], got[1])


def test_non_canonical_rle_box_and_iou_match_reference_and_pycocotools(rng):
    """Run lengths with zero-length runs: ``toBbox`` skips zero-length foreground runs, and
    ``rleIou``'s walk stops where both masks load a zero-length run at once."""
    from coco_random import column_split_counts, rle_from_counts, split_runs, uncompressed

    h, w = 13, 11
    masks = random_masks(rng, 30, h, w)
    counts = []
    for m in masks:
        counts.append(column_split_counts(m))
        counts.append(split_runs(uncompressed(m)["counts"], rng, 0.5))
    counts.append([5, 0, 7, 0, h * w - 12])  # no foreground run of non-zero length: a wrapped box
    rles = [rle_from_counts(c, h, w) for c in counts]
    dec = decode_many([r["counts"] for r in rles], [h * w] * len(rles))
    assert [dec.cnts[dec.start[i]:dec.start[i + 1]].tolist() for i in range(len(rles))] == counts

    boxes = np.zeros((len(rles), 4))
    K.rle_to_bbox(dec.cnts, dec.start, np.full(len(rles), h), np.full(len(rles), w), boxes)
    np.testing.assert_array_equal(boxes, mask_utils.toBbox(rles))
    assert [ref.rle_bbox(c, h, w) for c in counts] == boxes.tolist()

    dts, gts = list(range(0, len(rles), 2)), list(range(1, len(rles), 3))
    crowd = np.array([g % 4 == 0 for g in gts])
    D, G = len(dts), len(gts)
    ious = np.full(D * G, -5.0)
    zero = np.ones(len(rles), bool)
    c0, c1 = dec.start[:-1], dec.start[1:]
    di, gi = np.array(dts), np.array(gts)
    K.zero_run_iou_blocks(dec.cnts, c0[di], c1[di], dec.area[di], zero[di], dec.cnts, c0[gi], c1[gi], zero[gi], crowd,
                          np.array([0]), np.array([D]), np.array([0]), np.array([G]), np.array([0]), ious, 0, 1)
    ious = ious.reshape(D, G)
    expected = mask_utils.iou([rles[i] for i in dts], [rles[i] for i in gts], crowd.astype(np.uint8).tolist())
    np.testing.assert_array_equal(ious, expected)
    assert [[ref.pycoco_rle_iou(counts[d], counts[g], crowd[j]) for j, g in enumerate(gts)] for d in dts] == ious.tolist()
    dense = [ref.counts_to_mask(c, h, w) for c in counts]
    true = ref.mask_iou([dense[i] for i in dts], [dense[i] for i in gts], crowd)
    assert (ious != true).any()  # the early stop occurs


def test_zero_run_masks_flags_zeros_after_the_first_count():
    from segbench.engine.instance import zero_run_masks

    dec = decode_many([ref.encode_rle_string(c).decode() for c in ([0, 4, 8], [4, 0, 4, 4], [12], [0, 12], [5, 7, 0])],
                      [12] * 5)
    assert zero_run_masks(dec).tolist() == [False, True, False, False, True]
