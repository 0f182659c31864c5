"""Ordered, bounded parallel map over threads (the work must release the GIL to scale).

At most ``window`` (default ``2 * jobs``) items are in flight, so memory stays flat however many
images there are.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

A = TypeVar("A")
B = TypeVar("B")
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


def two_stage_map(decode: Callable[[A], R], count: Callable[[R], B], items: Iterable[A], warm_up: Callable[[], None],
                  jobs: int | None = None, window: int | None = None) -> Iterator[B]:
    """Yield ``count(decode(item))`` in input order, with a one-time ``warm_up()`` (loading the
    kernels ``count`` needs) run by the calling thread while the workers already decode.

    Workers run ``decode``; items decoded before ``warm_up()`` has returned are counted by the
    calling thread, later ones by the workers too (``count`` must be thread-safe), so counting
    runs in parallel once the kernels are loaded. Exceptions propagate at the failing item's turn.
    """
    ready = threading.Event()

    def work(item):
        decoded = decode(item)
        if ready.is_set():
            return True, count(decoded)
        return False, decoded

    for k, (counted, value) in enumerate(ordered_map(work, items, jobs, window)):
        if k == 0:
            warm_up()
            ready.set()
        yield value if counted else count(value)
