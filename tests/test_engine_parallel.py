"""engine.parallel: ordered maps over threads, and the two-stage map with a kernel warm-up."""

from __future__ import annotations

import threading
import time

import pytest

from segbench.engine.parallel import ordered_map, two_stage_map


def test_ordered_map_keeps_input_order_whatever_finishes_first():
    def slow_first(i):
        time.sleep(0.02 if i == 0 else 0)
        return i * i

    assert list(ordered_map(slow_first, range(20), jobs=3)) == [i * i for i in range(20)]


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_two_stage_map_counts_every_item_once_in_order_after_one_warm_up(jobs):
    warmed = []
    counted_by = {}

    def decode(i):
        time.sleep(0.001)
        return i, i + 100

    def count(decoded):
        assert warmed == [True], "count ran before the kernels were loaded"
        i, value = decoded
        assert i not in counted_by
        counted_by[i] = threading.current_thread().name
        return value * 2

    def warm_up():
        time.sleep(0.02)  # the workers decode ahead meanwhile
        warmed.append(True)

    out = list(two_stage_map(decode, count, range(60), warm_up, jobs=jobs, window=8))
    assert out == [(i + 100) * 2 for i in range(60)]
    assert warmed == [True] and sorted(counted_by) == list(range(60))
    main = threading.current_thread().name
    assert counted_by[0] == main  # decoded before the warm-up: counted by the calling thread
    if jobs > 1:  # after the warm-up the workers count too
        assert any(name != main for name in counted_by.values())


@pytest.mark.parametrize("stage", ["decode", "count"])
def test_two_stage_map_raises_at_the_failing_items_turn(stage):
    seen = []

    def decode(i):
        if stage == "decode" and i == 7:
            raise ValueError("bad 7")
        return i

    def count(i):
        if stage == "count" and i == 7:
            raise ValueError("bad 7")
        return i

    with pytest.raises(ValueError, match="bad 7"):
        for value in two_stage_map(decode, count, range(30), lambda: None, jobs=2, window=4):
            seen.append(value)
    assert seen == list(range(7))
