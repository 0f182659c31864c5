"""``nyudv2`` (40 classes), ``nyudv2-13`` and ``nyudv2-894``: NYU Depth v2 labelled subset.

Layout (``--root``), the per-split PNG export of the 1,449 labelled frames (795 train /
654 test, the official ``splits.mat``)::

    image/{train,test}/{key}.png           RGB
    seg40/{train,test}/{key}.png           Gupta et al. 40-class mapping, 0 = unlabeled, 1..40
    seg13/{train,test}/{key}.png           Couprie et al. 13-class mapping, 0 = unlabeled, 1..13
    seg894/{train,test}/{key}.png          the raw 894 labels (16-bit), 0 = unlabeled

0 = unlabeled is never evaluated (reduce-zero-label): raw ``k`` -> evaluation id ``k - 1``.
For ``nyudv2-894`` without ``seg894/`` but with ``classMapping40.mat`` (Gupta's file,
``mapClass`` 894 -> 40) nothing is derived: the 894 names come from ``names894.txt`` (one per
line) when present, else ``class_k``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable, default_palette
from segbench.datasets.layout import empty_split, require_dir, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset

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
