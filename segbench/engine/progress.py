"""Progress reporting for long loops: a rich bar on stderr that appears only after a delay.

The bar is shown only when stderr is a terminal, ``quiet`` is off, and the loop has run longer
than ``delay`` seconds, so short runs and pipes stay clean.
"""

from __future__ import annotations

import sys
import time


class NullProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self, n: int = 1) -> None:
        pass


class DelayedProgress(NullProgress):
    """``with DelayedProgress("Evaluating", total) as bar: bar.advance()``."""

    def __init__(self, description: str, total: int | None, delay: float = 1.0):
        self.description = description
        self.total = total
        self.delay = delay
        self.done = 0
        self._start = time.perf_counter()
        self._progress = None
        self._task = None

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._progress is None:
            if time.perf_counter() - self._start < self.delay:
                return
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total, completed=self.done)
            return
        self._progress.update(self._task, completed=self.done)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False


def make_progress(description: str, total: int | None, quiet: bool = False, delay: float = 1.0):
    if quiet or not sys.stderr.isatty():
        return NullProgress()
    return DelayedProgress(description, total, delay)
