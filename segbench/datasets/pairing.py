"""Match ground-truth and prediction files by relative path without extension (recursively)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from segbench.datasets.readers import LABEL_EXTENSIONS
from segbench.errors import FormatError, InputError, MissingPredictionError


def _key(root: Path, path: Path, suffix: str) -> str:
    rel = path.relative_to(root).with_suffix("").as_posix()
    if suffix and rel.endswith(suffix):
        rel = rel[: -len(suffix)]
    return rel


def list_label_files(root: str | os.PathLike, suffix: str = "", what: str = "folder") -> dict[str, Path]:
    """``{key: path}`` for every label file under ``root``; key = relative path, extension and
    ``suffix`` stripped (``aachen/aachen_000000_000019_gtFine_labelIds`` with suffix
    ``_gtFine_labelIds`` -> ``aachen/aachen_000000_000019``)."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: {what} does not exist")
    if not root.is_dir():
        raise InputError(f"{root}: {what} is not a directory")
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(LABEL_EXTENSIONS):
                continue
            path = Path(dirpath) / name
            key = _key(root, path, suffix)
            if key in files:
                raise FormatError(f"{path}: same key {key!r} as {files[key]}; keep one of .png/.npy")
            files[key] = path
    return files


@dataclass
class Pairing:
    pairs: list[tuple[str, Path, Path | None]]  # (key, gt path, pred path or None when missing)
    missing: list[str]
    extra: list[str]


def pair_folders(
    gt_dir: str | os.PathLike,
    pred_dir: str | os.PathLike,
    gt_suffix: str = "",
    pred_suffix: str = "",
    allow_missing: bool = False,
) -> Pairing:
    """Pair files; a GT file without prediction is an error unless ``allow_missing``."""
    gt_files = list_label_files(gt_dir, gt_suffix, "ground-truth folder")
    if not gt_files:
        raise InputError(f"{gt_dir}: ground-truth folder holds no label files ({', '.join(LABEL_EXTENSIONS)})")
    pred_files = list_label_files(pred_dir, pred_suffix, "prediction folder")
    if not pred_files and not allow_missing:
        raise InputError(f"{pred_dir}: prediction folder holds no label files ({', '.join(LABEL_EXTENSIONS)})")
    missing = [k for k in gt_files if k not in pred_files]
    if missing and not allow_missing:
        first = ", ".join(missing[:3])
        raise MissingPredictionError(
            f"{pred_dir}: {len(missing)} of {len(gt_files)} ground-truth files have no prediction "
            f"(first: {first}); matched by relative path without extension"
            + (f" and suffixes {gt_suffix!r}/{pred_suffix!r}" if gt_suffix or pred_suffix else "")
            + "; pass --allow-missing to count them as fully wrong"
        )
    extra = [k for k in pred_files if k not in gt_files]
    pairs = [(k, gt_files[k], pred_files.get(k)) for k in gt_files]
    return Pairing(pairs, missing, extra)
