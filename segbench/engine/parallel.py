"""Ordered, bounded parallel map over threads (the work must release the GIL to scale).

At most ``window`` (default ``2 * jobs``) items are in flight, so memory stays flat however many
images there are.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

A = TypeVar("A")
R = TypeVar("R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[A], R], items: Iterable[A], jobs: int | None = None,
                window: int | None = None) -> Iterator[R]:
    """Yield ``fn(item)`` in input order; exceptions propagate at the failing item's turn."""
    jobs = default_jobs() if not jobs or jobs < 1 else jobs
    window = max(window or 2 * jobs, 1)
    if jobs == 1:
        for item in items:
            yield fn(item)
        return
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="segbench") as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
