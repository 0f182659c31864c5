"""A torch ``Dataset`` view over any dataset adapter (the only dataset module importing torch).

``AdapterView(adapter, root, split, task)`` yields ``(image, target)``:

- ``image``: float32 ``(3, H, W)``; pixel values / 255, then normalised with ``mean``/``std``
  when given (models that normalise themselves, like torchvision's detectors, get 0..1 input);
- ``semantic``: int64 ``(H, W)`` label map in evaluation ids with the adapter's ignore index
  (``None`` ignore becomes 255, never a valid class here);
- ``instance``: torchvision detection target ``{boxes (K, 4) xyxy float32, labels (K,) int64
  1-based thing index, masks (K, H, W) uint8, iscrowd (K,)}`` — crowd regions and empty masks
  are dropped in training (torchvision's losses have no crowd handling);
- ``panoptic``: the instance target plus ``sem``: int64 ``(H, W)`` with 0 = any thing class,
  ``1..S`` = the stuff classes in dataset order, 255 = ignore (Panoptic FPN's semantic target).

Transforms: optional resize to ``size`` (bilinear image, nearest labels/masks) and, with
``train=True``, a random horizontal flip drawn from ``numpy.random.default_rng([seed, epoch,
index])`` — a pure function of the seed, the epoch (``set_epoch``) and the index, so a resumed
run sees the same augmentations as an uninterrupted one. Decoded samples are cached in memory
when ``cache`` is on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from segbench.datasets.base import DatasetAdapter


class AdapterView(Dataset):
    def __init__(self, adapter: DatasetAdapter, root: Path | None, split: str, task: str = "semantic", *,
                 size: tuple[int, int] | None = None, train: bool = False, mean=None, std=None, seed: int = 0,
                 cache: bool = True):
        adapter.require_task(task)
        self.adapter = adapter
        self.task = task
        self.samples = adapter.samples(root, split)
        self.size = tuple(size) if size else None
        self.train = train
        self.mean = None if mean is None else torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
        self.std = None if std is None else torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
        self.seed = seed
        self.epoch = 0
        self.cache = cache
        self._cache: dict[int, tuple] = {}
        classes = adapter.classes()
        self.thing_ids = [c.id for c in classes if c.isthing]
        self.stuff_ids = [c.id for c in classes if not c.isthing]
        self.ignore = 255 if adapter.ignore_index is None else int(adapter.ignore_index)

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    # ----------------------------------------------------------------- raw numpy
    def _raw(self, i: int):
        if i in self._cache:
            return self._cache[i]
        s = self.samples[i]
        image = self.adapter.load_image(s)
        if self.task == "semantic":
            target = self.adapter.load_semantic(s)
        elif self.task == "instance":
            target = self.adapter.load_instances(s)
        else:
            target = (self.adapter.load_instances(s), self.adapter.load_semantic(s))
        if self.cache:
            self._cache[i] = (image, target)
        return image, target

    def image_tensor(self, image: np.ndarray) -> torch.Tensor:
        """uint8 (H, W, 3) -> normalised float (3, H', W') at ``size`` (no flip)."""
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
        if self.size and tuple(x.shape[-2:]) != self.size:
            x = F.interpolate(x[None], size=self.size, mode="bilinear", align_corners=False)[0]
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x

    def _labels(self, a: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(a).astype(np.int64))
        if self.size and tuple(t.shape[-2:]) != self.size:
            t = F.interpolate(t[None, None].float(), size=self.size, mode="nearest")[0, 0].long()
        return t

    def _masks(self, m: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(m).astype(np.uint8))
        if self.size and len(t) and tuple(t.shape[-2:]) != self.size:
            t = F.interpolate(t[None].float(), size=self.size, mode="nearest")[0].to(torch.uint8)
        elif self.size and not len(t):
            t = torch.zeros((0, *self.size), dtype=torch.uint8)
        return t

    def _instance_target(self, inst) -> dict:
        masks = self._masks(inst.masks)
        labels = torch.as_tensor(inst.classes, dtype=torch.int64) + 1
        crowd = torch.as_tensor(inst.iscrowd, dtype=torch.bool)
        keep = masks.bool().flatten(1).any(1) if len(masks) else torch.zeros(0, dtype=torch.bool)
        if self.train:
            keep &= ~crowd
        masks, labels, crowd = masks[keep], labels[keep], crowd[keep]
        return {"boxes": masks_to_boxes(masks), "labels": labels, "masks": masks, "iscrowd": crowd.long()}

    def _panoptic_semantic(self, sem: np.ndarray) -> np.ndarray:
        lut = np.full(max(256, int(sem.max()) + 1 if sem.size else 0), 255, np.int64)
        for j, cid in enumerate(self.stuff_ids):
            lut[cid] = j + 1
        for cid in self.thing_ids:
            lut[cid] = 0
        return lut[sem]

    def __getitem__(self, i: int):
        image, target = self._raw(i)
        x = self.image_tensor(image)
        if self.task == "semantic":
            t = self._labels(np.where(target == self.ignore, 255, target) if self.ignore != 255 else target)
        elif self.task == "instance":
            t = self._instance_target(target)
        else:
            inst, sem = target
            t = self._instance_target(inst)
            t["sem"] = self._labels(self._panoptic_semantic(sem))
        if self.train and np.random.default_rng([self.seed, self.epoch, i]).random() < 0.5:
            x = x.flip(-1)
            if isinstance(t, dict):
                t = dict(t)
                t["masks"] = t["masks"].flip(-1)
                t["boxes"] = masks_to_boxes(t["masks"])
                if "sem" in t:
                    t["sem"] = t["sem"].flip(-1)
            else:
                t = t.flip(-1)
        return x, t


def masks_to_boxes(masks: torch.Tensor) -> torch.Tensor:
    """Tight xyxy boxes (float32, pixel edges: x2 = last column + 1) of (K, H, W) masks."""
    if not len(masks):
        return torch.zeros((0, 4), dtype=torch.float32)
    m = masks.bool()
    rows = m.any(2)
    cols = m.any(1)
    h, w = masks.shape[-2:]
    ys = torch.arange(h)
    xs = torch.arange(w)
    y1 = torch.where(rows, ys, h).min(1).values
    y2 = torch.where(rows, ys, -1).max(1).values + 1
    x1 = torch.where(cols, xs, w).min(1).values
    x2 = torch.where(cols, xs, -1).max(1).values + 1
    return torch.stack([x1, y1, x2, y2], 1).float()


def collate(batch):
    """Stack semantic batches; keep detection batches as lists (torchvision's convention)."""
    images, targets = zip(*batch)
    if isinstance(targets[0], dict):
        return list(images), list(targets)
    return torch.stack(images), torch.stack(targets)
