"""``mapillary-vistas`` (v1.2, 66 labels) and ``mapillary-vistas-v2`` (v2.0, 124 labels).

Layout (``--root`` = the unpacked Vistas folder)::

    config.json / config_v1.2.json / config_v2.0.json   {"labels": [{"name", "readable", "color",
                                                          "instances", "evaluate"}, ...]}
    {training,validation}/images/{key}.jpg
    v1.2: {split}/labels/{key}.png            (or {split}/v1.2/labels/ in the v2.0 release)
          {split}/panoptic/{key}.png + {split}/panoptic/panoptic_2018.json
    v2.0: {split}/v2.0/labels/{key}.png, {split}/v2.0/panoptic/{key}.png + panoptic_2020.json

The label table is read from the config JSON of ``--root`` (raw id = position in ``labels``):
labels with ``"evaluate": false`` are not evaluated (v1.2: 65 of 66; v2.0: the ``void``/
``unlabeled`` rows). Default convention ``mapillary``: rows *and columns* of non-evaluated
labels are deleted from the confusion matrix, so predicting one is neither a hit nor a miss.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import PanopticTarget, Sample, register_dataset
from segbench.datasets.cocofmt import load_json, panoptic_index, read_panoptic
from segbench.datasets.labels import Label, LabelTable
from segbench.datasets.layout import empty_split, first_existing, require_dir, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError

_ALIASES = {"train": "training", "val": "validation"}


def mapillary_table(config_path: Path, name: str) -> LabelTable:
    data = load_json(str(config_path))
    labels = data.get("labels")
    if not isinstance(labels, list) or not labels:
        raise FormatError(f"{config_path}: expected a 'labels' list (Mapillary Vistas config)")
    rows, k = [], 0
    for i, lab in enumerate(labels):
        try:
            color = tuple(int(c) for c in lab["color"])
            evaluate = bool(lab.get("evaluate", True))
            lname = str(lab.get("readable") or lab["name"])
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"{config_path}: label {i} lacks name/color; expected Mapillary config entries") from None
        rows.append(Label(lname, i, k if evaluate else None, category=str(lab.get("name", "")).split("--")[0],
                          has_instances=bool(lab.get("instances", False)), ignore_in_eval=not evaluate, color=color))
        k += evaluate
    return LabelTable(rows, name=name)


class _MapillaryBase(TableDataset):
    tasks = ("semantic", "panoptic")
    splits = ("training", "validation")
    ignore_index = 255
    convention = "mapillary"
    conventions = ("mapillary", "default", "detectron2", "cityscapes")
    version = "v1.2"
    num_labels = 66
    panoptic_json = "panoptic_2018.json"

    def __init__(self, root: str | Path | None = None):
        self._root = Path(root) if root else None

    def describe(self) -> dict:
        d = super().describe()
        if d["classes"] is None:
            d["classes"] = f"{self.num_labels} labels (config JSON)"
        return d

    def config_path(self, root: Path) -> Path:
        names = ["config_v2.0.json"] if self.version == "v2.0" else ["config_v1.2.json", "config.json"]
        return first_existing([root / n for n in names], f"Mapillary Vistas {self.version} config JSON")

    def build_table(self) -> LabelTable:
        if self._root is None:
            raise InputError(f"dataset {self.name!r} reads its labels from the config JSON: pass --root")
        return mapillary_table(self.config_path(require_root(self._root)), self.name)

    def check_split(self, split: str) -> None:
        super().check_split(_ALIASES.get(split, split))

    def label_dir(self, root: Path, split: str) -> Path:
        if self.version == "v2.0":
            return require_dir(root / split / "v2.0" / "labels", f"Mapillary {split}/v2.0/labels")
        return first_existing([root / split / "labels", root / split / "v1.2" / "labels"], f"Mapillary {split}/labels folder")

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        split = _ALIASES.get(split, split)
        root = require_root(root)
        if self._root != root:
            self._root = root
            self.__dict__.pop("table", None)
        self.config_path(root)
        d = self.label_dir(root, split)
        out = [Sample(name=p.stem, image=root / split / "images" / f"{p.stem}.jpg", semantic=p,
                      extra={"key": p.stem, "root": root, "split": split}) for p in sorted(d.glob("*.png"))]
        if not out:
            raise empty_split(self.name, split, d)
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        return read_label_png(sample.semantic)

    def panoptic_annotations(self, root, split: str) -> tuple[Path, Path]:
        self.check_split(split)
        split = _ALIASES.get(split, split)
        root = require_root(root)
        base = root / split / ("v2.0/panoptic" if self.version == "v2.0" else "panoptic")
        if self.version == "v1.2" and not base.is_dir():
            base = root / split / "v1.2" / "panoptic"
        folder = require_dir(base, f"Mapillary {split} panoptic")
        js = first_existing([folder / self.panoptic_json], f"Mapillary panoptic JSON {self.panoptic_json}")
        return js, folder

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        js, folder = self.panoptic_annotations(sample.extra["root"], sample.extra["split"])
        ann = panoptic_index(js).get(f"{sample.key}.png")
        if ann is None:
            raise FormatError(f"{js}: no annotation for {sample.key}.png; expected one per image")
        return PanopticTarget(read_panoptic(folder / f"{sample.key}.png"), list(ann["segments_info"]))


@register_dataset("mapillary-vistas")
class MapillaryVistas12(_MapillaryBase):
    version = "v1.2"
    num_labels = 66
    panoptic_json = "panoptic_2018.json"
    description = "Mapillary Vistas v1.2: 66 labels from config JSON, 'evaluate: false' excluded"


@register_dataset("mapillary-vistas-v2")
class MapillaryVistas20(_MapillaryBase):
    version = "v2.0"
    num_labels = 124
    panoptic_json = "panoptic_2020.json"
    description = "Mapillary Vistas v2.0: 124 labels from config_v2.0.json, 'evaluate: false' excluded"
