"""Faster Numba start-up for command-line processes.

On its first compiled call (even one served from the on-disk cache) Numba initialises its CPU
target, and ``numba.np.arraymath`` then imports ``scipy.linalg`` only to learn whether BLAS is
available for ``np.dot`` & co. That import cost 0.3-0.4 s of a 0.6 s first call here, more than
evaluating 100 panoptic images. segbench's kernels use no BLAS, so a command-line process (never
the library) may initialise Numba as if SciPy's BLAS were absent: :func:`init_numba_without_blas`
does so and then lifts the block, so ``import scipy.linalg`` works normally afterwards; only
Numba's own linear algebra stays unavailable in that process.
"""

from __future__ import annotations

import contextlib
import sys

_BLOCKED = ("scipy.linalg.cython_blas", "scipy.linalg.cython_lapack")


@contextlib.contextmanager
def numba_without_blas_probe():
    """Within the block, Numba's first compiled call initialises without SciPy's BLAS."""
    if any(name in sys.modules for name in _BLOCKED) or "numba.np.arraymath" in sys.modules:
        yield  # already initialised (or SciPy's BLAS already loaded): nothing to save
        return
    for name in _BLOCKED:
        sys.modules[name] = None  # type: ignore[assignment]  # "import" raises ImportError
    try:
        yield
    finally:
        for name in _BLOCKED:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def init_numba_without_blas(warm_up) -> None:
    """Run ``warm_up()`` (a first call of the kernels) with SciPy's BLAS hidden from Numba."""
    with numba_without_blas_probe():
        warm_up()
