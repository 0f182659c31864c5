"""Validation of result records (and leaderboard entries) read by compare, leaderboard and plot.

:func:`load_result` reads a record with :func:`segbench.record.load_record` and then checks every
value the reports read, so a bad value is a one-line :class:`~segbench.errors.FormatError` naming
the file, the value and what was expected instead of a traceback, a silently dropped cell or a
wrong number:

- ``metrics``: every value is ``null`` or a real, finite number (not a bool, string or list);
  fractions (every metric but the counts of :data:`segbench.report.records.COUNT_METRICS`, that
  is every metric the tables show as a percentage) lie in ``[0, 1]``. segbench writes ``null``
  for an undefined metric (pycocotools' ``-1``, NaN), so ``-1``, NaN and Infinity are refused.
- ``per_class``: a list of objects; the per-class scores the tables show as percentages
  (:data:`segbench.report.records.PER_CLASS_COLUMNS`) are ``null`` or fractions in ``[0, 1]``,
  the counts (``num_gt``, ``tp``, ...) ``null`` or non-negative integers; ``id`` is an integer,
  ``name`` a string, ``isthing`` a bool; any other number is finite.
- ``stats`` / ``stats.per_image``: objects where present. Their contents are checked where they
  are used (:func:`semantic_per_image`, :func:`panoptic_per_image` before a bootstrap,
  :func:`confusion_matrix` before a confusion plot): shapes, integer non-negative counts,
  ``tp <= gt``/``tp <= pred``, ``names`` one per image, ``isthing`` bools.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from segbench.errors import FormatError

FLOAT_INT_LIMIT = 2 ** 53  # integers above this lose precision in float64 (bootstrap sums)


def _show(value: Any) -> str:
    """A short repr of a JSON value for an error message (no 400-digit integers)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 20:
        return f"an integer of {len(str(abs(value)))} digits"
    import json

    try:
        text = json.dumps(value)  # as the file spells it: true, null, NaN, Infinity, "0.5"
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    return {bool: "a bool", str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(
        type(value), type(value).__name__)


# ------------------------------------------------------------------ scalars


def check_fraction(value: Any, where: str) -> None:
    """``value`` is ``null`` or a finite number in ``[0, 1]``; else a FormatError naming ``where``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"{where} is {_kind(value)} ({_show(value)}); expected null or a number in [0, 1]")
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(f"{where} is {_show(value)}; expected null (undefined) or a finite number in [0, 1]")
    if not (0 <= value <= 1):
        raise FormatError(f"{where} is {_show(value)}; expected a fraction in [0, 1] (null where undefined)")


def check_count(value: Any, where: str) -> None:
    """``value`` is ``null`` or a non-negative integer below 2**53."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"{where} is {_kind(value)} ({_show(value)}); expected null or a non-negative integer count")
    if not (0 <= value <= FLOAT_INT_LIMIT):
        raise FormatError(f"{where} is {_show(value)}; expected a non-negative integer count below 2**53")


def check_finite(value: Any, where: str) -> None:
    """A number (if ``value`` is one) is finite and fits a float."""
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(f"{where} is {_show(value)}; expected a finite number")
    if isinstance(value, int) and abs(value) > FLOAT_INT_LIMIT:
        raise FormatError(f"{where} is {_show(value)}; expected a number below 2**53")


# ------------------------------------------------------------------ records


def validate_metrics(metrics: Any, where: str) -> None:
    """``metrics`` of a record or a board entry (``where`` prefixes the messages, e.g. the file)."""
    from segbench.report.records import COUNT_METRICS

    if not isinstance(metrics, dict):
        raise FormatError(f"{where}metrics is {_kind(metrics)}; expected an object of metric values")
    for key, value in metrics.items():
        check = check_count if key in COUNT_METRICS else check_fraction
        check(value, f"{where}metrics.{key}")


def validate_per_class(record: dict, source: str) -> None:
    from segbench.report.records import PER_CLASS_COLUMNS

    rows = record.get("per_class")
    if rows is None:
        return
    if not isinstance(rows, list):
        raise FormatError(f"{source}: per_class is {_kind(rows)} ({_show(rows)}); expected a list of per-class objects")
    kinds = {key: kind for key, _, kind in PER_CLASS_COLUMNS.get(record.get("task"), [])}
    for i, row in enumerate(rows):
        where = f"{source}: per_class[{i}]"
        if not isinstance(row, dict):
            raise FormatError(f"{where} is {_kind(row)} ({_show(row)}); expected an object with id, name and scores")
        for key, value in row.items():
            at = f"{where}.{key}"
            if key == "id":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise FormatError(f"{at} is {_kind(value)} ({_show(value)}); expected an integer class id")
                check_finite(value, at)
            elif key == "name":
                if value is not None and not isinstance(value, str):
                    raise FormatError(f"{at} is {_kind(value)} ({_show(value)}); expected a class name string")
            elif key == "isthing":
                if value is not None and not isinstance(value, bool):
                    raise FormatError(f"{at} is {_kind(value)} ({_show(value)}); expected true or false")
            elif kinds.get(key) == "percent":
                check_fraction(value, at)
            elif kinds.get(key) == "int":
                check_count(value, at)
            else:
                check_finite(value, at)


def validate_record(record: dict, source: str = "<record>") -> dict:
    """Check the values of a loaded record (see the module docstring); returns ``record``."""
    validate_metrics(record.get("metrics"), f"{source}: ")
    validate_per_class(record, source)
    stats = record.get("stats")
    if stats is not None:
        if not isinstance(stats, dict):
            raise FormatError(f"{source}: stats is {_kind(stats)} ({_show(stats)}); expected an object")
        per_image = stats.get("per_image")
        if per_image is not None and not isinstance(per_image, dict):
            raise FormatError(f"{source}: stats.per_image is {_kind(per_image)} ({_show(per_image)}); "
                              f"expected an object of (images x classes) arrays")
    return record


def load_result(path: str | os.PathLike) -> dict:
    """Read a result record (:func:`segbench.record.load_record`) and validate its values."""
    from segbench.record import load_record

    try:
        record = load_record(path)
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits, deep nesting
        raise FormatError(f"{path}: not a readable JSON result record ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:120]})") from None
    return validate_record(record, str(path))


def validate_board_entries(entries: list[dict], path: str | os.PathLike) -> list[dict]:
    """Every board entry's metrics are null or fractions in [0, 1] (as in result records)."""
    for i, entry in enumerate(entries):
        validate_metrics(entry.get("metrics"), f"{path}: entry {i} ({entry.get('model')!r}) ")
    return entries


# ------------------------------------------------------------------ statistics


def _matrix(value: Any, where: str, integer: bool) -> np.ndarray:
    """A 2-D matrix of non-negative finite numbers (integers when ``integer``)."""
    want = "non-negative integer counts" if integer else "non-negative finite numbers"
    if isinstance(value, np.ndarray):
        arr = value
        if arr.dtype == bool or arr.dtype.kind not in ("iu" if integer else "iuf"):
            raise FormatError(f"{where} holds {arr.dtype} values; expected {want}")
    else:
        if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
            raise FormatError(f"{where} is {_kind(value)} ({_show(value)}); expected a list of rows of {want}")
        widths = {len(row) for row in value}
        if len(widths) > 1:
            raise FormatError(f"{where} has rows of {len(widths)} different lengths; expected one length")
        allowed = (int,) if integer else (int, float)
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                if type(v) not in allowed:
                    raise FormatError(f"{where}[{i}][{j}] is {_kind(v)} ({_show(v)}); expected {want}")
        try:
            arr = np.array(value, dtype=np.int64 if integer else np.float64)
        except OverflowError:
            raise FormatError(f"{where} holds an integer too large for a count; expected {want}") from None
        if arr.ndim != 2:
            arr = arr.reshape(len(value), 0) if arr.size == 0 else arr
    if arr.ndim != 2:
        raise FormatError(f"{where} has shape {arr.shape}; expected (images, classes)")
    bad = ~np.isfinite(arr) | (arr < 0) if arr.dtype.kind == "f" else arr < 0
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise FormatError(f"{where}[{i}][{j}] is {arr[i, j]!r}; expected {want}")
    if np.abs(arr).max(initial=0) > FLOAT_INT_LIMIT:
        raise FormatError(f"{where} holds a value above 2**53; expected {want} a float can hold exactly")
    return arr


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)


def _per_image(record: dict, source: str, keys: tuple[str, ...], integer: tuple[bool, ...]) -> list[np.ndarray]:
    stats = record.get("stats")
    per_image = stats.get("per_image") if isinstance(stats, dict) else None
    if not isinstance(per_image, dict):
        raise FormatError(f"{source}: stats.per_image is missing or not an object; expected (images x classes) arrays")
    arrays = []
    for key, whole in zip(keys, integer):
        if key not in per_image:
            raise FormatError(f"{source}: stats.per_image.{key} is missing; expected an (images x classes) array")
        arrays.append(_matrix(per_image[key], f"{source}: stats.per_image.{key}", whole))
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise FormatError(f"{source}: stats.per_image arrays differ in shape ({sorted(shapes)}); "
                          f"expected one (images, classes) shape")
    m, n = arrays[0].shape
    names = per_image.get("names")
    if names is not None:
        if not isinstance(names, list) or len(names) != m:
            got = f"{len(names)} names" if isinstance(names, list) else _kind(names)
            raise FormatError(f"{source}: stats.per_image.names has {got} but the arrays have {m} image rows; "
                              f"expected one name per image")
        for i, name in enumerate(names):
            if not isinstance(name, str):
                raise FormatError(f"{source}: stats.per_image.names[{i}] is {_kind(name)} ({_show(name)}); "
                                  f"expected an image name string")
    big = max(int(a.max(initial=0)) if a.dtype.kind in "iu" else float(a.max(initial=0)) for a in arrays)
    if big * m > FLOAT_INT_LIMIT:
        raise FormatError(f"{source}: stats.per_image counts up to {big} over {m} images are too large to resample "
                          f"exactly; expected sums below 2**53")
    return arrays


def semantic_per_image(record: dict, source: str = "<record>") -> list[np.ndarray]:
    """``[tp, gt, pred]`` int64 ``(images, classes)`` of a semantic record, validated."""
    tp, gt, pred = _per_image(record, source, ("tp", "gt", "pred"), (True, True, True))
    for other, key in ((gt, "gt"), (pred, "pred")):
        bad = tp > other
        if bad.any():
            i, j = _first_bad(bad)
            raise FormatError(f"{source}: stats.per_image.tp[{i}][{j}] = {tp[i, j]} exceeds {key}[{i}][{j}] = "
                              f"{other[i, j]}; expected true positives <= the {key} pixel count")
    n = tp.shape[1]
    num_classes = (record.get("meta") or {}).get("num_classes") if isinstance(record.get("meta"), dict) else None
    if isinstance(num_classes, int) and not isinstance(num_classes, bool) and num_classes != n:
        raise FormatError(f"{source}: stats.per_image arrays have {n} class columns but meta.num_classes is "
                          f"{num_classes}; expected one column per class")
    return [tp, gt, pred]


def panoptic_per_image(record: dict, source: str = "<record>") -> tuple[list[np.ndarray], np.ndarray]:
    """``([iou_sum, tp, fp, fn], isthing)`` of a panoptic record, validated: ``(images, categories)``
    arrays, ``0 <= iou_sum <= tp``, ``stats.categories`` one integer id per column and the
    things/stuff flags from ``stats.isthing`` (bools) or the ``per_class`` rows' ``isthing``."""
    iou_sum, tp, fp, fn = _per_image(record, source, ("iou_sum", "tp", "fp", "fn"), (False, True, True, True))
    bad = iou_sum > tp * (1 + 1e-9) + 1e-9
    if bad.any():
        i, j = _first_bad(bad)
        raise FormatError(f"{source}: stats.per_image.iou_sum[{i}][{j}] = {iou_sum[i, j]!r} exceeds tp[{i}][{j}] = "
                          f"{tp[i, j]}; expected a sum of at most one IoU per true positive")
    n = tp.shape[1]
    stats = record["stats"]
    categories = stats.get("categories")
    if categories is None:
        raise FormatError(f"{source}: stats.categories is missing; expected the category ids of the per-image columns")
    if not isinstance(categories, list) or len(categories) != n:
        got = f"{len(categories)} ids" if isinstance(categories, list) else _kind(categories)
        raise FormatError(f"{source}: stats.categories has {got} but per-image rows have {n} columns; "
                          f"expected one category id per column")
    for i, cid in enumerate(categories):
        if isinstance(cid, bool) or not isinstance(cid, int):
            raise FormatError(f"{source}: stats.categories[{i}] is {_kind(cid)} ({_show(cid)}); expected an integer category id")
    if len(set(categories)) != n:
        raise FormatError(f"{source}: stats.categories repeats an id; expected distinct category ids")
    flags = stats.get("isthing")
    if flags is not None:
        if not isinstance(flags, list) or len(flags) != n:
            got = f"{len(flags)} flags" if isinstance(flags, list) else f"{_kind(flags)} ({_show(flags)})"
            raise FormatError(f"{source}: stats.isthing has {got}; expected {n} true/false flags, one per category")
        for i, f in enumerate(flags):
            if not isinstance(f, bool):
                raise FormatError(f"{source}: stats.isthing[{i}] is {_kind(f)} ({_show(f)}); expected true or false")
        return [iou_sum, tp, fp, fn], np.asarray(flags, dtype=bool)
    per_class = {row.get("id"): row for row in record.get("per_class") or [] if isinstance(row, dict)}
    isthing = []
    for cid in categories:
        row = per_class.get(cid)
        if row is None or "isthing" not in row:
            raise FormatError(f"{source}: category {cid} has no per_class row with 'isthing'; cannot split things/stuff")
        if not isinstance(row["isthing"], bool):
            raise FormatError(f"{source}: per_class isthing of category {cid} is {_kind(row['isthing'])} "
                              f"({_show(row['isthing'])}); expected true or false")
        isthing.append(row["isthing"])
    return [iou_sum, tp, fp, fn], np.asarray(isthing, dtype=bool)


def confusion_matrix(record: dict, source: str = "<record>") -> np.ndarray:
    """``stats.confusion`` of a semantic record: a square matrix of non-negative integer counts with
    one row per class (``meta.num_classes``, else the number of ``per_class`` rows)."""
    cm = (record.get("stats") or {}).get("confusion")
    if cm is None:
        raise FormatError(f"{source}: no stats.confusion (n x n) matrix in the record; evaluate with segbench eval semantic")
    arr = _matrix(cm, f"{source}: stats.confusion", True)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise FormatError(f"{source}: stats.confusion has shape {arr.shape}; expected a square (classes x classes) matrix")
    n = arr.shape[0]
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    num_classes = meta.get("num_classes")
    if isinstance(num_classes, int) and not isinstance(num_classes, bool):
        expected, what = num_classes, "meta.num_classes"
    elif isinstance(record.get("per_class"), list) and record["per_class"]:
        expected, what = len(record["per_class"]), "the number of per_class rows"
    else:
        expected = None
    if expected is not None and expected != n:
        raise FormatError(f"{source}: stats.confusion is {n} x {n} but {what} is {expected}; "
                          f"expected one row and column per class")
    return arr
