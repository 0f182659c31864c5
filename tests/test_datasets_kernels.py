"""The instance-pixel kernel against its numpy reference; the raw -> evaluation fold against loops."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segbench.engine.dataset_eval import fold_confusion
from segbench.kernels.instance_pixels import instance_pixel_counts
from segbench.kernels.reference_instance_pixels import instance_pixel_counts_reference


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([np.uint16, np.int32]), st.booleans())
def test_instance_kernel_matches_reference(seed, dtype, empty):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 30, 2)
    labels = rng.choice([0, 7, 24, 26, 29, 33], size=(h, w))
    inst = np.where(rng.random((h, w)) < 0.6, labels * 1000 + rng.integers(0, 4, (h, w)), labels)
    if empty:
        inst[:] = 7
    inst = inst.astype(dtype)
    pred = rng.integers(0, 40, (h, w)).astype(np.uint8)
    members = np.zeros((2, 34), bool)
    members[0, [24, 25]] = True
    members[1, [26, 27, 28, 29, 30, 31, 32, 33]] = True
    cat_of_label = np.full(34, -1, np.int64)
    cat_of_label[[24, 25]] = 0
    cat_of_label[26:34] = 1
    got = instance_pixel_counts(inst, pred, members, cat_of_label)
    ref = instance_pixel_counts_reference(inst, pred, members, cat_of_label)
    for a, b in zip(got, ref):
        assert np.array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_fold_confusion_matches_loops(seed):
    rng = np.random.default_rng(seed)
    r = int(rng.integers(2, 12))
    n = int(rng.integers(1, r + 1))
    raw_to_eval = rng.integers(-2, n, r)
    raw = rng.integers(0, 5, (r, r)) * (rng.random((r, r)) < 0.5)
    eval_cm, ignored = fold_confusion(raw, raw_to_eval, n)
    want = np.zeros((n, n), np.int64)
    want_ign = np.zeros(n, np.int64)
    for a in range(r):
        for b in range(r):
            if raw_to_eval[a] >= 0 and raw_to_eval[b] >= 0:
                want[raw_to_eval[a], raw_to_eval[b]] += raw[a, b]
            elif raw_to_eval[a] >= 0 and raw_to_eval[b] == -1:
                want_ign[raw_to_eval[a]] += raw[a, b]
    assert np.array_equal(eval_cm, want) and np.array_equal(ignored, want_ign)
