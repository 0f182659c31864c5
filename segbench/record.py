"""The JSON result record (schema 1, see DESIGN.md): build, write atomically, load and validate.

Metric values are fractions in [0, 1]; NaN (undefined) becomes ``null``.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from pathlib import Path
from typing import Any

from segbench import __version__
from segbench.errors import FormatError
from segbench.fileio import atomic_write_json, read_json

SCHEMA = 1
TASKS = ("semantic", "instance", "panoptic")


def clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return clean(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None


def make_record(
    task: str,
    metrics: dict,
    per_class: list[dict],
    *,
    dataset: str | None = None,
    model: str | None = None,
    convention: str = "default",
    num_images: int = 0,
    seconds: float = 0.0,
    meta: dict | None = None,
    extra: dict | None = None,
) -> dict:
    """Assemble a result record; ``extra`` holds task-specific top-level keys (params, stats)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    record = {
        "schema": SCHEMA,
        "task": task,
        "segbench_version": __version__,
        "dataset": dataset,
        "model": model,
        "convention": convention,
        "metrics": clean(metrics),
        "per_class": clean(per_class),
        "meta": clean(
            {
                "num_images": int(num_images),
                "seconds": round(float(seconds), 4),
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                **(meta or {}),
            }
        ),
    }
    if extra:
        record.update(clean(extra))
    return record


def write_record(path: str | os.PathLike, record: dict) -> None:
    """Write ``record`` atomically (see :func:`segbench.fileio.atomic_write_bytes` for the rules)."""
    atomic_write_json(path, record, "result")


def load_record(path: str | os.PathLike) -> dict:
    """Read and validate a result record; one-line errors name the file and the problem."""
    path = Path(path)
    record = read_json(path, "result")
    if not isinstance(record, dict):
        raise FormatError(f"{path}: expected a JSON object (segbench result record), got {type(record).__name__}")
    if record.get("schema") != SCHEMA:
        raise FormatError(f"{path}: schema {record.get('schema')!r} is not a segbench result record (expected schema {SCHEMA})")
    if record.get("task") not in TASKS:
        raise FormatError(f"{path}: task {record.get('task')!r} is not one of {', '.join(TASKS)}")
    if not isinstance(record.get("metrics"), dict):
        raise FormatError(f"{path}: 'metrics' must be an object")
    return record
