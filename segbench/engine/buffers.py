"""Decode buffers shared by the folder engines: a recycling pool and the look-ahead budget.

Decode threads work ahead of the thread that counts. What they hold is capped in bytes
(``DECODE_AHEAD_BYTES``), so memory is flat in the number of images; the look-ahead also lets
the workers decode while the counting thread loads the Numba kernels (0.2-0.4 s per process,
see ``kernels/numba_startup.py``), which dominates short runs.
"""

from __future__ import annotations

import threading

import numpy as np

DECODE_AHEAD_BYTES = 128 * 2**20  # decoded images held ahead of the counting thread
MIN_AHEAD, MAX_AHEAD = 4, 64  # look-ahead bounds, in pairs


def look_ahead(pair_bytes: int) -> int:
    """Pairs to decode ahead: ``DECODE_AHEAD_BYTES`` over one decoded pair's size, in 4..64."""
    return int(min(MAX_AHEAD, max(MIN_AHEAD, DECODE_AHEAD_BYTES // max(int(pair_bytes), 1))))


class BufferPool:
    """Recycled decode buffers: decode threads take one per image, the counting thread gives it
    back once the image is counted. At most (look-ahead + workers) pairs of buffers exist. Used
    by decoders that write into a given array (OpenCV); fresh memory costs page faults, about a
    quarter of decode time on large label maps."""

    def __init__(self):
        self._free: dict[tuple, list[np.ndarray]] = {}
        self._lock = threading.Lock()

    def take(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        key = (tuple(shape), np.dtype(dtype).str)
        with self._lock:
            free = self._free.get(key)
            if free:
                return free.pop()
        return np.empty(shape, dtype)

    def give(self, *arrays: np.ndarray | None) -> None:
        with self._lock:
            for a in arrays:
                if a is not None and a.base is None and a.flags.c_contiguous:
                    self._free.setdefault((a.shape, a.dtype.str), []).append(a)
