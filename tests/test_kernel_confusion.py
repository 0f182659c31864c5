"""The Numba confusion-matrix kernel against the plain-numpy reference beside it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from segbench.kernels.confusion import confusion_matrix_update
from segbench.kernels.reference import confusion_matrix_reference


def run_kernel(gt, pred, n, ignore):
    cm = np.zeros((n, n), np.int64)
    bad = confusion_matrix_update(gt, pred, n, ignore, cm)
    return cm, bad


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("n", [1, 2, 19, 150])
@pytest.mark.parametrize("ignore", [255, None, 0])
def test_random_valid_maps_match_reference(dtype, n, ignore, rng):
    gt = rng.integers(0, n, (61, 83)).astype(dtype)
    pred = rng.integers(0, n, (61, 83)).astype(dtype)
    if ignore is not None and ignore >= n:
        gt[rng.random(gt.shape) < 0.2] = ignore
    cm, bad = run_kernel(gt, pred, n, ignore)
    ref, ref_bad = confusion_matrix_reference(gt, pred, n, ignore)
    assert bad == ref_bad == -1
    np.testing.assert_array_equal(cm, ref)
    valid = gt.size if ignore is None else int((gt != ignore).sum())
    assert cm.sum() == valid


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int64])
def test_first_invalid_pixel_is_reported_and_matrix_untouched(dtype, rng):
    n = 5
    gt = rng.integers(0, n, (40, 40)).astype(dtype)
    pred = rng.integers(0, n, (40, 40)).astype(dtype)
    pred[7, 9] = 7  # invalid prediction on a valid pixel
    pred[3, 1] = 9
    gt[30, 2] = 6  # invalid GT (not the ignore index)
    cm = np.full((n, n), 3, np.int64)
    bad = confusion_matrix_update(gt, pred, n, 255, cm)
    assert bad == 3 * 40 + 1
    assert (cm == 3).all()
    _, ref_bad = confusion_matrix_reference(gt, pred, n, 255)
    assert ref_bad == bad


def test_invalid_prediction_under_ignored_gt_is_fine():
    gt = np.array([[255, 0], [1, 255]], np.uint8)
    pred = np.array([[200, 0], [1, 77]], np.uint8)
    cm, bad = run_kernel(gt, pred, 2, 255)
    assert bad == -1
    np.testing.assert_array_equal(cm, [[1, 0], [0, 1]])


def test_all_ignored_gives_empty_matrix():
    gt = np.full((16, 16), 255, np.uint8)
    pred = np.zeros((16, 16), np.uint8)
    cm, bad = run_kernel(gt, pred, 3, 255)
    assert bad == -1 and cm.sum() == 0


def test_single_class():
    gt = np.zeros((9, 7), np.uint8)
    cm, bad = run_kernel(gt, gt, 1, None)
    assert bad == -1 and cm.tolist() == [[63]]


def test_max_uint8_label_is_a_class_when_nothing_is_ignored(rng):
    gt = rng.integers(0, 256, (50, 50)).astype(np.uint8)
    gt[0, 0] = 255
    pred = rng.integers(0, 256, (50, 50)).astype(np.uint8)
    cm, bad = run_kernel(gt, pred, 256, None)
    ref, _ = confusion_matrix_reference(gt, pred, 256, None)
    assert bad == -1
    np.testing.assert_array_equal(cm, ref)
    assert cm[255].sum() == (gt == 255).sum()


def test_16bit_labels_with_65535_ignore(rng):
    n = 1000
    gt = rng.integers(0, n, (64, 64)).astype(np.uint16)
    gt[rng.random(gt.shape) < 0.1] = 65535
    pred = rng.integers(0, n, (64, 64)).astype(np.uint16)
    cm, bad = run_kernel(gt, pred, n, 65535)
    ref, _ = confusion_matrix_reference(gt, pred, n, 65535)
    assert bad == -1
    np.testing.assert_array_equal(cm, ref)


def test_negative_labels_in_signed_arrays_are_invalid():
    gt = np.array([0, 1, -1], np.int32)
    pred = np.array([0, 1, 0], np.int32)
    _, bad = run_kernel(gt, pred, 2, 255)
    assert bad == 2
    cm, bad = run_kernel(gt, pred, 2, -1)  # -1 as the ignore value of a signed map
    assert bad == -1 and cm.sum() == 2


def test_mismatched_sizes_raise():
    with pytest.raises(ValueError):
        run_kernel(np.zeros(4, np.uint8), np.zeros(5, np.uint8), 2, None)


label_maps = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(1, 9), st.integers(1, 9)).flatmap(
                lambda hw: st.tuples(
                    hnp.arrays(np.uint8, hw, elements=st.sampled_from(list(range(n)) + [255])),
                    hnp.arrays(np.uint8, hw, elements=st.integers(0, n - 1)),
                )
            ),
            min_size=1,
            max_size=6,
        ),
    )
)


@settings(max_examples=60, deadline=None)
@given(label_maps)
def test_merging_per_image_matrices_equals_one_pass(data):
    n, images = data
    merged = np.zeros((n, n), np.int64)
    for gt, pred in images:
        cm, bad = run_kernel(gt, pred, n, 255)
        assert bad == -1
        merged += cm
    flat_gt = np.concatenate([g.ravel() for g, _ in images])
    flat_pred = np.concatenate([p.ravel() for _, p in images])
    one_pass, bad = run_kernel(flat_gt, flat_pred, n, 255)
    ref, _ = confusion_matrix_reference(flat_gt, flat_pred, n, 255)
    np.testing.assert_array_equal(merged, one_pass)
    np.testing.assert_array_equal(merged, ref)


@settings(max_examples=40, deadline=None)
@given(label_maps, st.randoms(use_true_random=False))
def test_image_order_does_not_matter(data, random):
    n, images = data
    shuffled = list(images)
    random.shuffle(shuffled)

    def total(seq):
        out = np.zeros((n, n), np.int64)
        for gt, pred in seq:
            out += run_kernel(gt, pred, n, 255)[0]
        return out

    np.testing.assert_array_equal(total(images), total(shuffled))


@pytest.mark.parametrize("offset", range(8))
def test_runs_and_misaligned_views(offset, rng):
    """Piecewise-constant maps (the word-at-a-time run path) at every byte alignment."""
    for _ in range(20):
        n = int(rng.integers(1, 30))
        size = int(rng.integers(1, 400))
        g = np.repeat(rng.integers(0, n, size), int(rng.integers(1, 20)))[: size + offset].astype(np.uint8)[offset:]
        p = np.repeat(rng.integers(0, n, size), int(rng.integers(1, 20)))[: size + offset].astype(np.uint8)[offset:]
        m = min(g.size, p.size)
        g, p = g[:m], p[:m]
        g[rng.random(m) < 0.05] = 255
        cm, bad = run_kernel(g, p, n, 255)
        ref, ref_bad = confusion_matrix_reference(g, p, n, 255)
        assert bad == ref_bad == -1
        np.testing.assert_array_equal(cm, ref)


def test_scratch_histogram_is_clean_after_errors_and_ignored_rows(rng):
    """The uint8 kernel re-zeroes only the bins it used; an invalid image must not leak counts."""
    n = 6
    for ignore in (255, 3, None, 200):
        for _ in range(5):
            bad_gt = rng.integers(0, 256, (30, 30)).astype(np.uint8)
            bad_pred = rng.integers(0, 256, (30, 30)).astype(np.uint8)
            bad_gt[0, 0], bad_pred[0, 0] = 0, 250  # at least one invalid pixel
            run_kernel(bad_gt, bad_pred, n, ignore)
            gt = rng.integers(0, n, (30, 30)).astype(np.uint8)
            if ignore is not None:
                gt[rng.random(gt.shape) < 0.2] = ignore
            pred = rng.integers(0, n, (30, 30)).astype(np.uint8)
            cm, bad = run_kernel(gt, pred, n, ignore)
            ref, ref_bad = confusion_matrix_reference(gt, pred, n, ignore)
            assert bad == ref_bad == -1
            np.testing.assert_array_equal(cm, ref)
