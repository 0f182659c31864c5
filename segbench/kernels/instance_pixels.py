"""Per-instance pixel counts for Cityscapes iIoU (one pass, no sort).

For every ground-truth instance ``v`` (instanceIds value ``v > 1000``, label ``v // 1000``)::

    size[v]   = #{ i : inst[i] == v }
    tp[v]     = #{ i : inst[i] == v, pred[i] == v // 1000 }
    cat_tp[v] = #{ i : inst[i] == v, members[cat_of_label[v // 1000], pred[i]] }   (0 when the
                label's category is untracked, ``cat_of_label == -1``)

Dense arrays indexed by instance id (instanceIds are 16-bit in Cityscapes, so at most 65,536
slots). The plain-numpy reference is ``kernels/reference_instance_pixels.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _count(inst, pred, members, cat_of_label, size, tp, cat_tp):
    r = members.shape[1]
    nl = cat_of_label.size
    for i in range(inst.size):
        v = np.int64(inst[i])
        if v <= 1000:
            continue
        size[v] += 1
        lab = v // 1000
        p = np.int64(pred[i])
        if p == lab:
            tp[v] += 1
        if lab < nl:
            c = cat_of_label[lab]
            if c >= 0 and 0 <= p < r and members[c, p]:
                cat_tp[v] += 1


def instance_pixel_counts(inst: np.ndarray, pred: np.ndarray, members: np.ndarray, cat_of_label: np.ndarray):
    """``(ids, sizes, tp, cat_tp)`` over the instances present (ids ascending), int64."""
    g = np.ascontiguousarray(inst).reshape(-1)
    p = np.ascontiguousarray(pred).reshape(-1)
    if g.size != p.size:
        raise ValueError(f"instance map has {g.size} pixels but prediction has {p.size}")
    top = int(g.max()) + 1 if g.size else 1
    if top > 2**26 or (g.size and int(g.min()) < 0):
        from segbench.kernels.reference_instance_pixels import instance_pixel_counts_reference

        return instance_pixel_counts_reference(inst, pred, members, cat_of_label)
    size = np.zeros(top, np.int64)
    tp = np.zeros(top, np.int64)
    cat_tp = np.zeros(top, np.int64)
    _count(g, p, np.ascontiguousarray(members, dtype=np.bool_), np.ascontiguousarray(cat_of_label, dtype=np.int64),
           size, tp, cat_tp)
    ids = np.nonzero(size)[0]
    return ids.astype(np.int64), size[ids], tp[ids], cat_tp[ids]
