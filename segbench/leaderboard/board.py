"""Leaderboard files: one JSON file per benchmark, a list of entries.

``<dir>/<NAME>.json`` (default dir ``leaderboards/``) holds a JSON list; each entry is::

    {"model": "unet", "preset": "lite", "task": "semantic", "dataset": "shapes",
     "convention": "default", "metrics": {"miou": 0.71, ...},
     "segbench_version": "0.1.0", "git_commit": "<sha or null>", "date": "ISO-8601",
     "command": "segbench run unet shapes ... (or null)"}

An entry is identified by ``(model, preset)``; all entries of a board share one task. Metric
values are fractions, as in result records. Files are written atomically.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from segbench.errors import FormatError, InputError
from segbench.fileio import atomic_write_json

DEFAULT_DIR = Path("leaderboards")
ENTRY_KEYS = ("model", "preset", "task", "dataset", "convention", "metrics", "segbench_version",
              "git_commit", "date", "command")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# the metric a board is ranked by, per task
PRIMARY_METRIC = {"semantic": "miou", "instance": "AP", "panoptic": "PQ"}


def board_path(name: str, directory: str | os.PathLike = DEFAULT_DIR) -> Path:
    if not _NAME.match(name) or name.endswith(".json"):
        raise InputError(f"--board {name!r}: expected a board name such as 'shapes-semantic' "
                         f"(letters, digits, '.', '_', '-'; no path, no .json)")
    return Path(directory) / f"{name}.json"


def list_boards(directory: str | os.PathLike = DEFAULT_DIR) -> list[str]:
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.json") if _NAME.match(p.stem))


def load_board(name: str, directory: str | os.PathLike = DEFAULT_DIR, *, must_exist: bool = True) -> list[dict]:
    """The board's entries; an unknown board is an error naming the available ones."""
    path = board_path(name, directory)
    if not path.exists():
        if not must_exist:
            return []
        available = list_boards(directory)
        raise InputError(f"unknown board {name!r}: no file {path}; available boards in {directory}: "
                         + (", ".join(available) if available else "(none)"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read leaderboard ({exc.strerror})") from None
    if not isinstance(data, list):
        raise FormatError(f"{path}: expected a JSON list of leaderboard entries, got {type(data).__name__}")
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("model"), str) or not isinstance(entry.get("metrics"), dict):
            raise FormatError(f"{path}: entry {i} is not an object with a 'model' string and a 'metrics' object")
    tasks = {e.get("task") for e in data}
    if len(tasks) > 1:
        raise FormatError(f"{path}: entries of several tasks ({', '.join(sorted(map(str, tasks)))}); expected one task per board")
    return data


def save_board(name: str, entries: list[dict], directory: str | os.PathLike = DEFAULT_DIR) -> Path:
    path = board_path(name, directory)
    atomic_write_json(path, entries)
    return path


def board_task(entries: list[dict]) -> str | None:
    return entries[0].get("task") if entries else None


def current_git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """HEAD of the git checkout at ``cwd`` (None outside a checkout or without git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def entry_from_record(record: dict, source: str = "<record>", *, model: str | None = None,
                      command: str | None = None, git_commit: str | None = None) -> dict:
    """A board entry from a result record; the model name comes from ``model`` or the record."""
    meta = record.get("meta") or {}
    name = model or record.get("model")
    if not name:
        raise InputError(f"{source}: the result has no 'model' name; pass --model NAME")
    commit = git_commit or meta.get("git_commit") or meta.get("commit") or current_git_commit()
    metrics = {k: v for k, v in record["metrics"].items()
               if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))}
    return {
        "model": str(name),
        "preset": meta.get("preset"),
        "task": record["task"],
        "dataset": record.get("dataset"),
        "convention": record.get("convention") or "default",
        "metrics": metrics,
        "segbench_version": record.get("segbench_version"),
        "git_commit": commit,
        "date": meta.get("created"),
        "command": command or meta.get("command"),
    }


def add_entry(entries: list[dict], entry: dict, *, replace: bool = False, board: str = "board") -> list[dict]:
    """A new entry list with ``entry`` added; a duplicate ``(model, preset)`` needs ``replace``."""
    task = board_task(entries)
    if task is not None and task != entry["task"]:
        raise InputError(f"board {board!r} holds {task} results but the result's task is {entry['task']}")
    same = [i for i, e in enumerate(entries) if e["model"] == entry["model"] and e.get("preset") == entry.get("preset")]
    if same and not replace:
        preset = f" (preset {entry['preset']})" if entry.get("preset") else ""
        raise InputError(f"board {board!r} already has an entry for model {entry['model']!r}{preset}; "
                         f"pass --replace to overwrite it")
    out = [e for i, e in enumerate(entries) if i not in same]
    out.append(entry)
    return out


def find_entry(entries: list[dict], model: str, preset: str | None, board: str = "board") -> dict:
    """The board entry for ``model`` (and ``preset`` where the board has several for the model)."""
    candidates = [e for e in entries if e["model"] == model]
    if not candidates:
        models = sorted({e["model"] for e in entries})
        raise InputError(f"board {board!r} has no entry for model {model!r}; models on the board: "
                         + (", ".join(models) if models else "(none)"))
    exact = [e for e in candidates if e.get("preset") == preset]
    if exact:
        return exact[0]
    if len(candidates) == 1 and (preset is None or candidates[0].get("preset") is None):
        return candidates[0]
    presets = ", ".join(sorted(str(e.get("preset")) for e in candidates))
    raise InputError(f"board {board!r} has model {model!r} with preset(s) {presets} but the result's preset is {preset!r}")
