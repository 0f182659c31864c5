"""Plain-numpy references for every Numba kernel, compared against them in tests.

They favour obviousness over speed and share no code with the kernels.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix_reference(gt, pred, num_classes, ignore_index):
    """``cm[g, p]`` over pixels whose GT is not ``ignore_index`` (rows = GT, columns = prediction).

    Returns ``(cm, first_invalid)`` where ``first_invalid`` is the flat index of the first valid
    pixel whose GT or prediction lies outside ``[0, num_classes)``, or -1.
    """
    g = np.asarray(gt).reshape(-1).astype(np.int64)
    p = np.asarray(pred).reshape(-1).astype(np.int64)
    n = num_classes
    valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
    invalid = valid & ((g < 0) | (g >= n) | (p < 0) | (p >= n))
    if invalid.any():
        return np.zeros((n, n), np.int64), int(np.flatnonzero(invalid)[0])
    cm = np.bincount(n * g[valid] + p[valid], minlength=n * n).reshape(n, n).astype(np.int64)
    return cm, -1
