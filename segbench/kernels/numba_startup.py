"""Faster Numba start-up for command-line processes.

On its first compiled call (even one served from the on-disk cache) Numba initialises its CPU
target: it imports and registers every typing and lowering registry, and ``numba.np.arraymath``
then imports ``scipy.linalg`` only to learn whether BLAS is available for ``np.dot`` & co. Both
cost 0.2-0.5 s per process here, more than evaluating 100 panoptic images. A command-line
process (never the library: a user's own Numba functions stay untouched) skips both through
:func:`kernel_start_up`:

- the BLAS probe sees no SciPy BLAS (:func:`numba_without_blas_probe`; the block is lifted
  afterwards, so ``import scipy.linalg`` works normally; only Numba's own linear algebra stays
  unavailable in that process). segbench's kernels use no BLAS.
- cached kernels load without the registry refresh (below).
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


# -- Cached loads without the full target refresh ------------------------------------------------
#
# Numba's ``Cache.load_overload`` calls ``target_context.refresh()`` before loading a function from
# the on-disk cache. The refresh imports and registers every typing and lowering registry
# (numba.np.arraymath, the typed containers, ...): 0.1-0.2 s, needed to *compile* but not to load
# finished machine code, which needs only the runtime (NRT) initialised. A command-line process
# (never the library: a user's own Numba functions stay untouched) may therefore load cached
# kernels after ``rtsys.initialize`` alone. A cache miss still compiles through Numba's normal
# path, which refreshes the context itself. Where Numba's internals differ from what this expects,
# nothing is patched.

_fast_start_allowed = [False]


def allow_fast_start() -> None:
    """Mark this process as a segbench command-line process (see :func:`start_kernels`)."""
    _fast_start_allowed[0] = True


def _load_cached_without_refresh() -> bool:
    try:
        from numba.core import caching
        from numba.core.runtime import rtsys
    except ImportError:  # pragma: no cover - a Numba without these modules: leave it alone
        return False
    cache = caching.Cache
    if getattr(cache.load_overload, "segbench_quick_load", False):
        return True
    if not (hasattr(cache, "_load_overload") and hasattr(cache, "_guard_against_spurious_io_errors")
            and hasattr(rtsys, "initialize")):
        return False  # pragma: no cover - other Numba internals

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)
        return None  # the guard swallowed an I/O error: compile instead, as Numba does

    load_overload.segbench_quick_load = True
    cache.load_overload = load_overload
    return True


@contextlib.contextmanager
def kernel_start_up():
    """Within the block, first calls load kernels the quick way in a command-line process
    (:func:`allow_fast_start`): from the cache without Numba's registry refresh and without its
    SciPy BLAS probe, which together cost 0.2-0.5 s per process. Elsewhere it does nothing."""
    if not _fast_start_allowed[0]:
        yield
        return
    _load_cached_without_refresh()
    with numba_without_blas_probe():
        yield


def start_kernels(warm_up) -> None:
    """Load kernels by running ``warm_up()`` (a first call on tiny inputs) in :func:`kernel_start_up`."""
    with kernel_start_up():
        warm_up()


def kernel_loader(module: str):
    """A function that imports the kernel module ``module`` (and so Numba) when called and
    loads its kernels through its ``warm_up``; engines call it once their workers are decoding."""

    def load() -> None:
        import importlib

        start_kernels(importlib.import_module(module).warm_up)

    return load
