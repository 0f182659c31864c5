"""``nyudv2`` (40 classes), ``nyudv2-13`` and ``nyudv2-894``: NYU Depth v2 labelled subset.

Layout (``--root``), the per-split PNG export of the 1,449 labelled frames (795 train /
654 test, the official ``splits.mat``)::

    image/{train,test}/{key}.png           RGB
    seg40/{train,test}/{key}.png           Gupta et al. 40-class mapping, 0 = unlabeled, 1..40
    seg13/{train,test}/{key}.png           Couprie et al. 13-class mapping, 0 = unlabeled, 1..13
    seg894/{train,test}/{key}.png          the raw 894 labels (16-bit), 0 = unlabeled

0 = unlabeled is never evaluated (reduce-zero-label): raw ``k`` -> evaluation id ``k - 1``.
``nyudv2`` (40) without ``seg40/`` derives the 40-class maps from ``seg894/`` through Gupta et
al.'s ``classMapping40.mat`` in the root (``mapClass``: 894 -> 1..40; read with scipy).
``nyudv2-894`` names its classes from ``names894.txt`` (one per line) when present, else ``class_k``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable, default_palette
from segbench.datasets.layout import empty_split, require_dir, require_file, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError, LabelRangeError

NYU40 = [
    "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture",
    "counter", "blinds", "desk", "shelves", "curtain", "dresser", "pillow", "mirror", "floor mat", "clothes",
    "ceiling", "books", "refridgerator", "television", "paper", "towel", "shower curtain", "box", "whiteboard",
    "person", "night stand", "toilet", "sink", "lamp", "bathtub", "bag", "otherstructure", "otherfurniture",
    "otherprop",
]
NYU13 = ["bed", "books", "ceiling", "chair", "floor", "furniture", "objects", "picture", "sofa", "table", "tv",
         "wall", "window"]


def nyu_table(names: list[str], name: str) -> LabelTable:
    colors = default_palette(len(names) + 1)
    rows = [Label("unlabeled", 0, None, ignore_in_eval=True, color=(0, 0, 0))]
    rows += [Label(n, k + 1, k, color=colors[k + 1]) for k, n in enumerate(names)]
    return LabelTable(rows, name=name)


class _NYUBase(TableDataset):
    tasks = ("semantic",)
    splits = ("train", "test")
    ignore_index = 255
    folder = "seg40"

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        root = require_root(root)
        d = require_dir(root / self.folder / split, f"NYUv2 {self.folder}/{split}")
        out = [Sample(name=p.stem, image=root / "image" / split / p.name, semantic=p, extra={"key": p.stem})
               for p in sorted(d.glob("*.png"))]
        if not out:
            raise empty_split(self.name, split, d)
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        return read_label_png(sample.semantic)


@register_dataset("nyudv2")
class NYUDv2(_NYUBase):
    folder = "seg40"
    description = "NYU Depth v2: 40 classes (Gupta et al.), 0 = unlabeled; 795 train / 654 test"

    def build_table(self) -> LabelTable:
        return nyu_table(NYU40, "nyudv2")

    def samples(self, root, split: str) -> list[Sample]:
        root_p = require_root(root)
        if (root_p / "seg40").is_dir() or not (root_p / "seg894").is_dir():
            return super().samples(root, split)
        self.check_split(split)
        lut = mapping_894_to_40(root_p / "classMapping40.mat")
        d = require_dir(root_p / "seg894" / split, f"NYUv2 seg894/{split}")
        out = [Sample(name=p.stem, image=root_p / "image" / split / p.name, semantic=p, extra={"key": p.stem, "lut": lut})
               for p in sorted(d.glob("*.png"))]
        if not out:
            raise empty_split(self.name, split, d)
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        raw = read_label_png(sample.semantic)
        lut = sample.extra.get("lut")
        if lut is None:
            return raw
        if raw.size and int(raw.max()) >= lut.size:
            raise LabelRangeError(f"{sample.semantic}: label {int(raw.max())} is not one of the 894 NYUv2 labels (0..894)")
        return lut[raw]


def mapping_894_to_40(path: Path) -> np.ndarray:
    """``classMapping40.mat`` (Gupta et al.): ``mapClass`` (894,) -> uint8 lookup, 0 stays 0."""
    require_file(path, "NYUv2 classMapping40.mat (894 -> 40 mapping)")
    try:
        from scipy.io import loadmat
    except ImportError:
        raise InputError(f"{path}: reading the 894 -> 40 mapping needs scipy") from None
    try:
        m = np.asarray(loadmat(str(path))["mapClass"]).reshape(-1).astype(np.int64)
    except (KeyError, ValueError, OSError) as exc:
        raise FormatError(f"{path}: expected mapClass (894 entries) in classMapping40.mat ({exc})") from None
    if m.size != 894 or m.min() < 0 or m.max() > 40:
        raise FormatError(f"{path}: mapClass has {m.size} entries in {m.min()}..{m.max()}; expected 894 values in 0..40")
    return np.concatenate([[0], m]).astype(np.uint8)


@register_dataset("nyudv2-13")
class NYUDv2_13(_NYUBase):
    folder = "seg13"
    description = "NYU Depth v2: 13 classes (Couprie et al.), 0 = unlabeled"

    def build_table(self) -> LabelTable:
        return nyu_table(NYU13, "nyudv2-13")


@register_dataset("nyudv2-894")
class NYUDv2_894(_NYUBase):
    folder = "seg894"
    ignore_index = 65535
    description = "NYU Depth v2: the raw 894 labels (16-bit PNGs), 0 = unlabeled"

    def __init__(self, root: str | Path | None = None):
        self._root = Path(root) if root else None

    def samples(self, root, split: str) -> list[Sample]:
        out = super().samples(root, split)
        if Path(root) != self._root:
            self._root = Path(root)
            self.__dict__.pop("table", None)
        return out

    def build_table(self) -> LabelTable:
        names = [f"class_{k}" for k in range(1, 895)]
        if self._root is not None and (self._root / "names894.txt").is_file():
            given = [l.strip() for l in (self._root / "names894.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
            if len(given) == 894:
                names = given
        return nyu_table(names, "nyudv2-894")
