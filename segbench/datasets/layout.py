"""On-disk layout helpers shared by the adapters: checked folders/files, split lists, and the
prediction index that matches prediction files to dataset samples.

Every failure is a one-line :class:`~segbench.errors.InputError` naming the folder or file that
was expected, so a wrong ``--root`` says what is missing rather than "no images".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from segbench.errors import FormatError, InputError, MissingPredictionError

PREDICTION_EXTENSIONS = (".png", ".npy")


def require_root(root) -> Path:
    if root is None:
        raise InputError("this dataset reads files: pass --root DATASET_ROOT")
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: dataset root does not exist")
    if not root.is_dir():
        raise InputError(f"{root}: dataset root is not a directory")
    return root


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise InputError(f"{path}: expected the {what} folder here (wrong --root or incomplete download?)")
    return path


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: expected the {what} file here (wrong --root or incomplete download?)")
    return path


def first_existing(candidates: list[Path], what: str) -> Path:
    for c in candidates:
        if c.exists():
            return c
    raise InputError(f"{candidates[0]}: expected the {what} here (also tried: {', '.join(str(c) for c in candidates[1:]) or '-'})")


def read_split_list(path: Path, what: str = "split list") -> list[str]:
    """Non-empty lines of a split file, whitespace-stripped; the first token of each line
    (VOC-style lists are plain ids; SIFT Flow's list entries may carry a path and extension)."""
    require_file(path, what)
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            ids.append(line.split()[0])
    return ids


def empty_split(dataset: str, split: str, where: Path) -> InputError:
    return InputError(f"{where}: dataset {dataset!r} split {split!r} has no images here; expected the split's files in this folder")


def require_ground_truth(samples: list, split: str) -> list:
    """``samples`` unchanged, or a one-line error naming the first missing ``sample.semantic``."""
    missing = [s.semantic for s in samples if not Path(s.semantic).exists()]
    if missing:
        raise InputError(f"{missing[0]}: expected the ground truth of {split} image {Path(missing[0]).stem} "
                         f"here ({len(missing)} of {len(samples)} missing)")
    return samples


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise FormatError(f"{path}: image file does not exist") from None
    except OSError as exc:
        raise FormatError(f"{path}: unreadable image ({exc})") from None


class PredictionIndex:
    """Prediction files under a folder, found by the name of the sample they belong to.

    A sample ``name`` (relative key, e.g. ``frankfurt/frankfurt_000000_000294``) and ``key``
    (its basename, ``frankfurt_000000_000294``) match, in this order of preference:

    1. the file whose path relative to the folder, without extension, equals ``name``;
    2. a file whose stem equals ``key`` (flat folders);
    3. a file whose stem starts with ``key + "_"`` (``frankfurt_000000_000294_leftImg8bit.png``);
    4. with ``loose_prefix`` only: a file whose stem starts with ``key`` followed by anything
       (``frankfurt_000000_000294pred.png``, ``frankfurt_000000_000294.pred.png``): the
       cityscapesScripts pattern ``{city}_{seq}_{frame}*.png``, for adapters whose official tool
       matches that way (elsewhere ``img1`` would wrongly find ``img10.png``).

    Two candidates at the same level are an error (cityscapesScripts: "Found multiple predictions").
    """

    def __init__(self, pred_dir, loose_prefix: bool = False):
        pred_dir = Path(pred_dir)
        if not pred_dir.exists():
            raise InputError(f"{pred_dir}: prediction folder does not exist")
        if not pred_dir.is_dir():
            raise InputError(f"{pred_dir}: prediction folder is not a directory")
        self.root = pred_dir
        self.exact: dict[str, Path] = {}
        self.by_stem: dict[str, list[Path]] = {}
        self.by_prefix: dict[str, list[Path]] = {}
        self.used: set[Path] = set()
        for dirpath, dirnames, filenames in os.walk(pred_dir):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.startswith(".") or not fn.lower().endswith(PREDICTION_EXTENSIONS):
                    continue
                path = Path(dirpath) / fn
                rel = path.relative_to(pred_dir).with_suffix("").as_posix()
                if rel in self.exact:
                    raise FormatError(f"{path}: same name as {self.exact[rel]}; keep one of .png/.npy")
                self.exact[rel] = path
                stem = path.stem
                self.by_stem.setdefault(stem, []).append(path)
                parts = stem.split("_")
                for k in range(1, len(parts)):
                    self.by_prefix.setdefault("_".join(parts[:k]), []).append(path)
        self.sorted_stems = sorted(self.by_stem) if loose_prefix else None

    def __len__(self) -> int:
        return len(self.exact)

    def find(self, name: str, key: str) -> Path | None:
        hit = self.exact.get(name)
        if hit is None:
            for table in (self.by_stem, self.by_prefix):
                found = table.get(key)
                if found:
                    if len(found) > 1:
                        raise FormatError(
                            f"{self.root}: found {len(found)} predictions for {name} "
                            f"({', '.join(str(p.relative_to(self.root)) for p in found[:3])}); expected one"
                        )
                    hit = found[0]
                    break
        if hit is None and self.sorted_stems is not None:
            hit = self._loose(name, key)
        if hit is not None:
            self.used.add(hit)
        return hit

    def _loose(self, name: str, key: str) -> Path | None:
        """The one file whose stem starts with ``key`` (level 4), or None."""
        from bisect import bisect_left

        stems = self.sorted_stems
        found = []
        for i in range(bisect_left(stems, key), len(stems)):
            if not stems[i].startswith(key):
                break
            found.extend(self.by_stem[stems[i]])
        if len(found) > 1:
            raise FormatError(
                f"{self.root}: found {len(found)} predictions for {name} "
                f"({', '.join(str(p.relative_to(self.root)) for p in found[:3])}); expected one"
            )
        return found[0] if found else None

    def unused(self) -> list[Path]:
        return sorted(set(self.exact.values()) - self.used)


def match_predictions(samples, index: PredictionIndex, allow_missing: bool, split_desc: str):
    """``[(sample, path or None)]``; missing predictions are an error unless ``allow_missing``."""
    pairs = [(s, index.find(s.name, s.key)) for s in samples]
    missing = [s.name for s, p in pairs if p is None]
    if missing and not allow_missing:
        raise MissingPredictionError(
            f"{index.root}: {len(missing)} of {len(samples)} images of {split_desc} have no prediction "
            f"(first: {', '.join(missing[:3])}); expected files named after the images "
            f"(relative path, or stem, .png/.npy); pass --allow-missing to count them as fully wrong"
        )
    return pairs, missing
