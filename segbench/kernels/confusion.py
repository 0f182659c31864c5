"""Confusion-matrix kernels for semantic segmentation.

Convention: ``cm[g, p]`` counts pixels whose ground truth is class ``g`` and whose prediction is
class ``p`` (rows = ground truth, columns = prediction), over pixels whose ground truth is not the
ignore index::

    cm[g, p] = #{ i : gt[i] == g, pred[i] == p, gt[i] != ignore }

A pixel whose ground truth lies outside ``[0, n)`` and is not the ignore index, or a non-ignored
pixel whose prediction lies outside ``[0, n)``, is invalid: the kernels never write out of bounds
and report the first such pixel (flat index) so the caller can raise a clear error.

Two kernels, chosen by dtype:

- ``uint8`` label maps (the common case): a joint histogram over all ``256 x 256`` value pairs,
  with no bounds logic in the hot loop. Pixels are read 8 at a time: runs of 8 identical
  (gt, pred) pairs — most of a piecewise-constant label map — are counted in a register; other
  words go byte by byte into 4 interleaved uint32 sub-histograms so that neighbouring pixels do
  not serialise on one counter. Validation (a pixel count, O(n^2)) and folding into the ``n x n``
  matrix happen once per image; only the bins used are re-zeroed.
- anything else (uint16, int32, int64 ...): values are clamped to ``n`` (row ``n`` also collects
  ignored pixels) into ``(n+1)^2`` bins, and an OR-reduction flags invalid pixels without a
  branch.

Sub-histograms are uint32, exact for images of fewer than 2^32 pixels (checked); the matrix
they are folded into is int64.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

_MAX_PIXELS = 2**32 - 1
_scratch = threading.local()


@njit(cache=True, nogil=True)
def _joint_histogram_u8(g64, p64, gt, pred, hist2):
    """hist[lane, (g << 8) | p] += 1 over all pixels.

    Label maps are piecewise constant, so the pixels are read 8 at a time as uint64 words: a
    word pair whose 8 GT bytes and 8 prediction bytes are each all equal is one run of 8
    identical pixels, counted in a register and flushed when the pair changes. Other words are
    counted byte by byte into 4 interleaved lanes, the bytes taken from the words already
    loaded by shifts (byte k of the GT word pairs with byte k of the prediction word whatever
    the machine's byte order). Indices are unsigned, so Numba emits no negative-index
    wraparound. ``g64``/``p64`` are the uint64 views of the first ``8 * (n // 8)`` bytes of
    ``gt``/``pred``; ``hist2`` is the C-contiguous ``(4, 65536)`` histogram.
    """
    hist = hist2.reshape(-1)
    ones = np.uint64(0x0101010101010101)
    low = np.uint64(0xFF)
    high = np.uint64(0xFF00)
    s8, s16, s24, s32 = np.uint64(8), np.uint64(16), np.uint64(24), np.uint64(32)
    s40, s48, s56 = np.uint64(40), np.uint64(48), np.uint64(56)
    lane1, lane2, lane3 = np.uint64(65536), np.uint64(2 * 65536), np.uint64(3 * 65536)
    cur = np.uint64(0)
    count = 0
    for j in range(g64.size):
        a = g64[j]
        b = p64[j]
        ga = a & low
        pb = b & low
        if a == ga * ones and b == pb * ones:
            k = (ga << s8) | pb
            if k == cur:
                count += 8
            else:
                hist[cur] += count  # (0 pixels for the initial bin 0)
                cur = k
                count = 8
        else:
            hist[((a << s8) & high) | (b & low)] += 1
            hist[lane1 + ((a & high) | ((b >> s8) & low))] += 1
            hist[lane2 + (((a >> s8) & high) | ((b >> s16) & low))] += 1
            hist[lane3 + (((a >> s16) & high) | ((b >> s24) & low))] += 1
            hist[((a >> s24) & high) | ((b >> s32) & low)] += 1
            hist[lane1 + (((a >> s32) & high) | ((b >> s40) & low))] += 1
            hist[lane2 + (((a >> s40) & high) | ((b >> s48) & low))] += 1
            hist[lane3 + (((a >> s48) & high) | (b >> s56))] += 1
    hist[cur] += count
    for i in range(g64.size * 8, gt.size):
        hist[(np.uint64(gt[i]) << s8) | np.uint64(pred[i])] += 1


def _words(a: np.ndarray) -> np.ndarray:
    """uint64 view of the first 8*(n//8) bytes of a 1-D uint8 array (copied if misaligned)."""
    m = a.size - a.size % 8
    if a.ctypes.data % 8:
        return np.ascontiguousarray(a[:m]).copy().view(np.uint64)
    return a[:m].view(np.uint64)


@njit(cache=True, nogil=True)
def _fold_u8(hist, size, n, ignore, has_ignore, cm):
    """Fold the 256x256 joint histogram into cm and re-zero the bins it used.

    Every pixel lands in exactly one bin, so the image is valid iff the bins of valid pixels
    (GT row < n and not ignored, prediction column < n) plus the ignored GT row hold all ``size``
    pixels: an O(n^2) check instead of a scan of 65,536 bins. Returns False, with ``cm``
    untouched and ``hist`` fully re-zeroed, if some pixel is invalid.
    """
    m = min(n, 256)
    ignored_row = has_ignore and 0 <= ignore < 256
    total = 0
    for g in range(m):
        if ignored_row and g == ignore:
            continue
        for p in range(m):
            k = g * 256 + p
            total += np.int64(hist[0, k]) + np.int64(hist[1, k]) + np.int64(hist[2, k]) + np.int64(hist[3, k])
    valid = total
    if ignored_row:
        for p in range(256):
            k = ignore * 256 + p
            total += np.int64(hist[0, k]) + np.int64(hist[1, k]) + np.int64(hist[2, k]) + np.int64(hist[3, k])
    if total != size:
        hist[:] = 0
        return False
    if valid:
        for g in range(m):
            if ignored_row and g == ignore:
                continue
            for p in range(m):
                k = g * 256 + p
                cm[g, p] += np.int64(hist[0, k]) + np.int64(hist[1, k]) + np.int64(hist[2, k]) + np.int64(hist[3, k])
    for g in range(m):
        for lane in range(4):
            hist[lane, g * 256: g * 256 + m] = 0
    if ignored_row:
        for lane in range(4):
            hist[lane, ignore * 256: ignore * 256 + 256] = 0
    return True


@njit(cache=True, nogil=True)
def _clamped_histogram(gt, pred, n, ignore, has_ignore, hist):
    """hist[gi * (n+1) + pi] += 1 with values clamped to n (ignored GT -> row n); True if invalid."""
    un = np.uint64(n)
    n1 = un + np.uint64(1)
    uign = np.uint64(ignore)
    bad = False
    for i in range(gt.size):
        g = np.uint64(gt[i])
        p = np.uint64(pred[i])
        ign = has_ignore and g == uign
        bad |= (not ign) and (g >= un or p >= un)
        gi = un if ign else min(g, un)
        hist[gi * n1 + min(p, un)] += 1
    return bad


@njit(cache=True, nogil=True)
def _fold_clamped(hist, n, cm):
    n1 = n + 1
    for g in range(n):
        for p in range(n):
            cm[g, p] += hist[g * n1 + p]


@njit(cache=True, nogil=True)
def _first_invalid(gt, pred, n, ignore, has_ignore):
    """Flat index of the first invalid pixel, or -1 (signed comparison, any integer dtype)."""
    for i in range(gt.size):
        g = np.int64(gt[i])
        if has_ignore and g == ignore:
            continue
        p = np.int64(pred[i])
        if g < 0 or g >= n or p < 0 or p >= n:
            return i
    return -1


@njit(cache=True, nogil=True)
def _add_checked(gt, pred, n, ignore, has_ignore, cm):
    """Signed fallback (negative ignore values): validate, then count."""
    bad = _first_invalid(gt, pred, n, ignore, has_ignore)
    if bad >= 0:
        return bad
    for i in range(gt.size):
        g = np.int64(gt[i])
        if has_ignore and g == ignore:
            continue
        cm[g, np.int64(pred[i])] += 1
    return -1


def _u8_scratch() -> np.ndarray:
    """This thread's all-zero 4 x 65,536 histogram (``_fold_u8`` re-zeroes what it used)."""
    hist = getattr(_scratch, "hist", None)
    if hist is None:
        hist = _scratch.hist = np.zeros((4, 65536), dtype=np.uint32)
    return hist


def confusion_matrix_update(
    gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int | None, cm: np.ndarray
) -> int:
    """Add one image's counts into ``cm`` (int64, ``(n, n)``, rows = GT, columns = prediction).

    ``gt`` and ``pred`` must have the same number of elements and integer dtypes. Returns ``-1``
    on success, else the flat index of the first invalid pixel; ``cm`` is then left unchanged.
    Releases the GIL, so threads over images run in parallel.
    """
    g = np.ascontiguousarray(gt).reshape(-1)
    p = np.ascontiguousarray(pred).reshape(-1)
    if g.size != p.size:
        raise ValueError(f"gt has {g.size} pixels but pred has {p.size}")
    if g.dtype.kind not in "ui" or p.dtype.kind not in "ui":
        raise TypeError(f"label maps must be integer arrays, got {g.dtype} and {p.dtype}")
    n = int(num_classes)
    has_ignore = ignore_index is not None
    ignore = int(ignore_index) if has_ignore else 0
    if g.size > _MAX_PIXELS:
        return int(_add_checked(g, p, n, ignore, has_ignore, cm))
    if g.dtype == np.uint8 and p.dtype == np.uint8 and 0 <= ignore:
        hist = _u8_scratch()
        _joint_histogram_u8(_words(g), _words(p), g, p, hist)
        if _fold_u8(hist, g.size, n, ignore, has_ignore, cm):
            return -1
        return int(_first_invalid(g, p, n, ignore, has_ignore))
    if has_ignore and ignore < 0:
        return int(_add_checked(g, p, n, ignore, has_ignore, cm))
    hist = np.zeros((n + 1) * (n + 1), dtype=np.uint32)
    if _clamped_histogram(g, p, n, ignore, has_ignore, hist):
        return int(_first_invalid(g, p, n, ignore, has_ignore))
    _fold_clamped(hist, n, cm)
    return -1


def warm_up() -> None:
    """Load the 8-bit kernels (from Numba's cache) on a tiny pair; other dtypes load on first use."""
    labels = np.zeros(16, np.uint8)
    confusion_matrix_update(labels, labels, 2, 255, np.zeros((2, 2), np.int64))
