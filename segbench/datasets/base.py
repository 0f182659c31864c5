"""The dataset-adapter protocol and registry (numpy level; no torch here).

An adapter knows a benchmark's classes (ids, names, colours, stuff/thing), its ignore label,
splits, on-disk layout and file naming, and reads samples as numpy arrays:

- ``samples(root, split)`` -> list of :class:`Sample` (``name`` is the key predictions are matched
  by: relative path without extension and naming suffix);
- ``load_image(sample)`` -> ``(H, W, 3)`` uint8 RGB;
- ``load_semantic(sample)`` -> ``(H, W)`` label map in *evaluation ids* ``0..N-1`` with
  ``ignore_index`` for unlabeled pixels;
- ``load_instances(sample)`` -> :class:`InstanceTarget`;
- ``load_panoptic(sample)`` -> :class:`PanopticTarget`;
- ``instance_annotations(root, split)`` -> COCO instances JSON path;
- ``panoptic_annotations(root, split)`` -> ``(COCO panoptic JSON, PNG folder)``.

Adapters register with ``@register_dataset("name")``; third-party packages add theirs through
the entry-point group ``segbench.datasets``. A torch ``Dataset`` view over any adapter lives in
``datasets/torch_views.py`` (the only dataset module that imports torch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from segbench.errors import InputError
from segbench.registry import Registry

DATASETS: Registry[type["DatasetAdapter"]] = Registry("dataset", "segbench.datasets")


def register_dataset(name: str):
    """Class decorator registering a :class:`DatasetAdapter` subclass under ``name``."""

    def deco(cls):
        cls.name = name
        DATASETS.add(name, cls)
        return cls

    return deco


def _load_builtin_adapters() -> None:
    # Importing the package modules runs their @register_dataset decorators.
    from segbench.datasets import adapters  # noqa: F401


def get_dataset(name: str, **options: Any) -> "DatasetAdapter":
    """Instantiate the adapter registered as ``name`` (unknown names list the close matches)."""
    _load_builtin_adapters()
    return DATASETS.get(name)(**options)


def dataset_names() -> list[str]:
    _load_builtin_adapters()
    return DATASETS.names()


@dataclass(frozen=True)
class ClassInfo:
    """One evaluated class. ``id`` is the evaluation id (0..N-1, or the category id for COCO
    panoptic/instance); ``label_id`` the dataset's raw id where it differs (Cityscapes labelId)."""

    id: int
    name: str
    color: tuple[int, int, int] = (0, 0, 0)
    isthing: bool = False
    label_id: int | None = None


@dataclass
class Sample:
    name: str
    image: Path | None = None
    semantic: Path | None = None
    instance: Path | None = None
    panoptic: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The image id predictions are matched by when not by relative path (the basename)."""
        return self.extra.get("key") or self.name.rsplit("/", 1)[-1]


@dataclass
class InstanceTarget:
    """Instances of one image: ``masks`` (K, H, W) bool, ``classes`` (K,) int64 evaluation ids
    (contiguous 0..N-1 over the dataset's thing classes), ``iscrowd`` (K,) bool."""

    masks: np.ndarray
    classes: np.ndarray
    iscrowd: np.ndarray


@dataclass
class PanopticTarget:
    """``segments`` (H, W) int32 segment ids (0 = VOID) and ``segments_info`` list of
    ``{id, category_id, iscrowd, area}`` (COCO panoptic)."""

    segments: np.ndarray
    segments_info: list[dict]


class DatasetAdapter:
    name: str = ""
    tasks: tuple[str, ...] = ("semantic",)
    splits: tuple[str, ...] = ("train", "val")
    ignore_index: int | None = 255
    convention: str = "default"
    description: str = ""

    def classes(self) -> list[ClassInfo]:
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return len(self.classes())

    def class_names(self) -> list[str]:
        return [c.name for c in self.classes()]

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise InputError(f"dataset {self.name!r} has no split {split!r}; expected one of {', '.join(self.splits)}")

    def samples(self, root: Path | None, split: str) -> list[Sample]:
        raise NotImplementedError

    def load_image(self, sample: Sample) -> np.ndarray:
        raise NotImplementedError

    def load_semantic(self, sample: Sample) -> np.ndarray:
        raise NotImplementedError

    def load_instances(self, sample: Sample) -> InstanceTarget:
        raise InputError(f"dataset {self.name!r} has no instance annotations (tasks: {', '.join(self.tasks)})")

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        raise InputError(f"dataset {self.name!r} has no panoptic annotations (tasks: {', '.join(self.tasks)})")

    def instance_annotations(self, root: Path | None, split: str) -> Path:
        raise InputError(f"dataset {self.name!r} has no instance annotations (tasks: {', '.join(self.tasks)})")

    def panoptic_annotations(self, root: Path | None, split: str) -> tuple[Path, Path]:
        raise InputError(f"dataset {self.name!r} has no panoptic annotations (tasks: {', '.join(self.tasks)})")

    def describe(self) -> dict:
        """One row of ``segbench datasets``: name, tasks, classes, ignore, splits, description."""
        try:
            n = self.num_classes
        except (NotImplementedError, InputError):
            n = None
        return {"name": self.name, "tasks": list(self.tasks), "classes": n, "ignore": self.ignore_index,
                "splits": list(self.splits), "description": self.description}

    def supports(self, task: str) -> bool:
        return task in self.tasks

    def require_task(self, task: str) -> None:
        if task not in self.tasks:
            raise InputError(f"dataset {self.name!r} has no {task} annotations (tasks: {', '.join(self.tasks)})")
