"""Plain-numpy reference of :mod:`segbench.kernels.instance_pixels` (compared in tests)."""

from __future__ import annotations

import numpy as np


def instance_pixel_counts_reference(inst, pred, members, cat_of_label):
    """``(ids, sizes, tp, cat_tp)`` for the instances ``inst > 1000``, ids ascending."""
    sel = inst > 1000
    ids, inverse = np.unique(inst[sel], return_inverse=True)
    inverse = inverse.reshape(-1)
    sizes = np.bincount(inverse, minlength=ids.size).astype(np.int64)
    labels = (ids // 1000).astype(np.int64)
    p = pred[sel].astype(np.int64).reshape(-1)
    lab_px = labels[inverse]
    tp = np.bincount(inverse, weights=(p == lab_px), minlength=ids.size).astype(np.int64)
    in_cat = np.zeros(p.size, bool)
    known = lab_px < cat_of_label.size
    cats = np.full(p.size, -1, np.int64)
    cats[known] = cat_of_label[lab_px[known]]
    ok = (cats >= 0) & (p >= 0) & (p < members.shape[1])
    in_cat[ok] = members[cats[ok], p[ok]]
    cat_tp = np.bincount(inverse, weights=in_cat, minlength=ids.size).astype(np.int64)
    return ids.astype(np.int64), sizes, tp, cat_tp
