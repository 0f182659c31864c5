"""Process-wide settings for a ``segbench`` command-line process (never applied to library users).

- Numba may load cached kernels without the work only compiling needs
  (:func:`segbench.kernels.numba_startup.allow_fast_start`).
- glibc's allocator keeps large freed blocks for reuse instead of returning them to the kernel:
  by default a block over 128 KiB (the threshold then adapts) is ``mmap``-ed and every decoded
  label map lands in fresh pages, whose page faults cost 5-10% of a folder evaluation's time
  here (``benchmarks/bench_semantic.py``). Memory stays bounded by the engines' look-ahead.
"""

from __future__ import annotations

import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 64 * 2**20
_TRIM_THRESHOLD = 256 * 2**20


def keep_freed_memory_for_reuse() -> bool:
    """Raise glibc's mmap and trim thresholds; False where there is no glibc ``mallopt``."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


def tune_cli_process() -> None:
    from segbench.kernels.numba_startup import allow_fast_start

    allow_fast_start()
    keep_freed_memory_for_reuse()
