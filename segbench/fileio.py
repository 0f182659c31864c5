"""Atomic file writes: a temp file in the target's folder, fsync, then rename.

An interrupted run never leaves a half-written result, table or leaderboard. Output paths follow
:func:`check_output_path`: commands check every output path before computing anything, and a bad
one (a folder, a special file, a parent that is a file, no permission) is a one-line InputError.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from segbench.errors import FormatError, InputError


def _umask() -> int:
    """The process umask, read without changing it where /proc allows (Linux), else set and restored."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (``.`` for a relative path with none)."""
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path(".")


def check_output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """Check, before any work, that ``path`` can be written as the ``what`` file; return the real
    target (a symlink's resolved path, which is where :func:`atomic_write_bytes` writes).

    The convention for every output file: the target is a regular file or does not exist yet (a
    folder, FIFO, device or socket is refused, never replaced), and its folder exists or can be
    created (the nearest existing ancestor is a writable folder). Nothing is created here.
    Problems are a one-line :class:`InputError` naming the path, the reason and what was expected.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    shown = str(path) if target == path else f"{path} (-> {target})"
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):  # a missing or non-folder parent: checked below
        st = None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write {what} file ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{shown}: is a folder; expected a {what} file path")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{shown}: is not a regular file (a device, FIFO or socket); "
                             f"expected a {what} file path, refusing to replace it")
    parent = _first_existing(target.parent)
    if not parent.is_dir():
        raise InputError(f"{shown}: {parent} is not a folder; expected a folder to hold the {what} file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{shown}: cannot write {what} file (folder {parent} is not writable)")
    return target


def check_output_paths(*outputs: tuple[str | os.PathLike | None, str]) -> None:
    """:func:`check_output_path` for each ``(path, what)`` given (``None`` paths are skipped).

    Commands call this first, so that a bad second output never leaves the first one written."""
    for path, what in outputs:
        if path is not None:
            check_output_path(path, what)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, what: str = "output") -> None:
    """Write ``data`` to ``path`` atomically: a temp file in the target's folder, fsync, rename.

    Follows :func:`check_output_path` (a symlink's target is written, the link kept; folders and
    special files are refused) and creates missing parent folders. The file gets the mode a plain
    ``open()`` would give: an existing file's mode is kept, a new file gets ``0o666 & ~umask``.
    Any OS error (permission, disk full, ...) is a one-line :class:`InputError` naming the path.
    """
    shown = path
    path = check_output_path(path, what)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise InputError(f"{shown}: cannot write {what} file ({reason})") from None
        raise


def atomic_write_text(path: str | os.PathLike, text: str, what: str = "output") -> None:
    """:func:`atomic_write_bytes` of UTF-8 text.

    A file name that is not valid UTF-8 (Python holds its bytes as lone surrogates) is written
    back as its original bytes, so a CSV row names the very file on disk."""
    atomic_write_bytes(path, text.encode("utf-8", "surrogateescape"), what)


def atomic_write_json(path: str | os.PathLike, obj: Any, what: str = "output") -> None:
    """:func:`atomic_write_bytes` of indented JSON (NaN is refused)."""
    atomic_write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n", what)


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
