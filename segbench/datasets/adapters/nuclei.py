"""``nuclei``: one real fluorescence microscopy image (2018 Data Science Bowl, via stardist; see
``segbench/data/nuclei-dsb2018/README.md``) tiled into a fixed train/val split.

The 512x512 image and its instance mask ship as package data (``root`` is unused). Split: the
bottom 128 rows are the validation region, cut into four 128x128 tiles; the top 384 rows are the
training region, cut into 128x128 tiles at stride 64 (5 x 7 = 35 overlapping tiles). The regions do
not overlap, so no validation pixel is seen in training (a nucleus crossing row 384 appears cut
in both). Classes: 0 = background (stuff), 1 = nucleus (thing). The grey image is returned as
RGB (three equal channels). No pixel is ignored. Instances are the nuclei visible in a tile (a
nucleus cut by the tile border is the part inside); panoptic segment 1 is the background, then
one segment per nucleus.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from segbench.datasets.base import (ClassInfo, DatasetAdapter, InstanceTarget, PanopticTarget, Sample,
                                    register_dataset)
from segbench.errors import FormatError

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "nuclei-dsb2018"
VAL_TOP = 384


@lru_cache(maxsize=1)
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    try:
        img = np.array(Image.open(DATA / "nuclei_img.png"))
        inst = np.array(Image.open(DATA / "nuclei_inst.png"))
    except OSError as exc:
        raise FormatError(f"{DATA}: cannot read the packaged nuclei image ({exc})") from None
    if img.shape != (512, 512) or inst.shape != (512, 512):
        raise FormatError(f"{DATA}: expected 512x512 image and mask, got {img.shape} and {inst.shape}")
    return img, inst


@register_dataset("nuclei")
class NucleiDataset(DatasetAdapter):
    tasks = ("semantic", "instance", "panoptic")
    splits = ("train", "val")
    ignore_index = 255
    description = "real DSB2018 nuclei image (512x512) tiled 128x128: 35 train tiles, 4 val tiles"

    def __init__(self, tile: int = 128, train_stride: int = 64):
        self.tile = int(tile)
        self.train_stride = int(train_stride)

    def classes(self) -> list[ClassInfo]:
        return [ClassInfo(0, "background", (0, 0, 0), False), ClassInfo(1, "nucleus", (255, 255, 0), True)]

    def samples(self, root: Path | None, split: str) -> list[Sample]:
        self.check_split(split)
        t = self.tile
        if split == "train":
            coords = [(y, x) for y in range(0, VAL_TOP - t + 1, self.train_stride)
                      for x in range(0, 512 - t + 1, self.train_stride)]
        else:
            coords = [(y, x) for y in range(VAL_TOP, 512 - t + 1, t) for x in range(0, 512 - t + 1, t)]
        return [Sample(name=f"nuclei_y{y:03d}_x{x:03d}", extra={"y": y, "x": x}) for y, x in coords]

    def _crop(self, a: np.ndarray, sample: Sample) -> np.ndarray:
        y, x = sample.extra["y"], sample.extra["x"]
        return a[y:y + self.tile, x:x + self.tile]

    def load_image(self, sample: Sample) -> np.ndarray:
        g = self._crop(_arrays()[0], sample)
        return np.repeat(g[..., None], 3, axis=2).copy()

    def load_semantic(self, sample: Sample) -> np.ndarray:
        return (self._crop(_arrays()[1], sample) > 0).astype(np.uint8)

    def load_instances(self, sample: Sample) -> InstanceTarget:
        inst = self._crop(_arrays()[1], sample)
        ids = [i for i in np.unique(inst) if i != 0]
        masks = np.stack([inst == i for i in ids]) if ids else np.zeros((0, *inst.shape), bool)
        return InstanceTarget(masks, np.zeros(len(ids), np.int64), np.zeros(len(ids), bool))

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        inst = self._crop(_arrays()[1], sample)
        seg = np.zeros(inst.shape, np.int32)
        info = []
        bg = inst == 0
        if bg.any():
            seg[bg] = 1
            info.append({"id": 1, "category_id": 0, "iscrowd": 0, "area": int(bg.sum())})
        for i in (i for i in np.unique(inst) if i != 0):
            sid = len(info) + 1
            m = inst == i
            seg[m] = sid
            info.append({"id": sid, "category_id": 1, "iscrowd": 0, "area": int(m.sum())})
        return PanopticTarget(seg, info)
