"""Atomic file writes: a temp file in the target's folder, fsync, then rename.

An interrupted run never leaves a half-written result, table or leaderboard.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from segbench.errors import FormatError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def read_file_bytes(path: str | os.PathLike, what: str, size: int = -1) -> bytes:
    """The bytes of a file (the first ``size`` bytes, or all with -1); one-line errors say which
    ``what`` (e.g. "results", "PNG") was expected."""
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a folder; expected a {what} file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read {what} file ({exc.strerror})") from None


def parse_json_bytes(data: bytes, path: str | os.PathLike, what: str) -> Any:
    """Parse JSON bytes read from ``path``; invalid JSON or UTF-8 is a one-line FormatError."""
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise FormatError(f"{path}: not valid JSON ({msg}{where}); expected a {what} file") from None


def read_json(path: str | os.PathLike, what: str) -> Any:
    """Read and parse a JSON file, with the errors of :func:`read_file_bytes` / :func:`parse_json_bytes`."""
    return parse_json_bytes(read_file_bytes(path, what), path, what)
