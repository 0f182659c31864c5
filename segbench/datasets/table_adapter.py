"""Adapters driven by a :class:`~segbench.datasets.labels.LabelTable` (the real benchmarks).

Ground truth is read in the dataset's *raw ids* (what its annotation files store) and mapped to
evaluation ids through the table. Predictions are accepted as

- ``labelIds``: raw ids, as in the ground-truth files (Cityscapes labelIds, ADE20K 0..150 ...);
- ``trainIds``: evaluation ids ``0..N-1``; the dataset's ignore value (255) means "no class" and
  maps to the table's first non-evaluated raw id (Cityscapes ``unlabeled``, VOC ``void`` ...);
- colour PNGs (RGB) in the dataset's palette, decoded through the table's colours (any space).

Evaluation (``segbench.engine.dataset_eval``) counts the confusion matrix over raw ids, then
folds it into the N evaluated classes by the chosen convention (``docs/conventions.md``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from segbench.datasets.base import ClassInfo, DatasetAdapter, Sample
from segbench.datasets.labels import LabelTable
from segbench.datasets.layout import read_image
from segbench.datasets.readers import png_header, read_label_map, read_label_npy, read_rgb_png
from segbench.errors import InputError, LabelRangeError

PRED_ID_SPACES = ("labelIds", "trainIds")


class TableDataset(DatasetAdapter):
    """Base class: subclasses define ``build_table()``, ``samples()`` and ``read_raw_semantic()``."""

    conventions: tuple[str, ...] = ("default", "detectron2")
    default_pred_ids: str = "labelIds"
    ignore_index = 255

    def build_table(self) -> LabelTable:
        raise NotImplementedError

    @cached_property
    def table(self) -> LabelTable:
        return self.build_table()

    def label_table(self) -> LabelTable:
        return self.table

    def classes(self) -> list[ClassInfo]:
        return [ClassInfo(r.train_id, r.name, tuple(r.color), r.has_instances, r.id) for r in self.table.eval_rows()]

    @property
    def num_classes(self) -> int:
        return self.table.num_classes

    def raw_rows(self):
        """All rows of the label table (for ``segbench datasets show``)."""
        return self.table.all_rows

    # ------------------------------------------------------------------ reading

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        """The ground truth of ``sample`` in raw ids (integer array)."""
        raise NotImplementedError

    def load_image(self, sample: Sample) -> np.ndarray:
        if sample.image is None:
            raise InputError(f"dataset {self.name!r}: sample {sample.name} has no image file")
        return read_image(sample.image)

    def load_semantic(self, sample: Sample) -> np.ndarray:
        """Evaluation ids ``0..N-1`` with ``ignore_index`` for non-evaluated pixels."""
        raw = self.read_raw_semantic(sample)
        table = self.table
        self.check_raw(raw, sample.semantic, "ground-truth label id")
        return table.gt_lut(self.ignore_index)[raw]

    def check_raw(self, raw: np.ndarray, path, what: str) -> None:
        if raw.size and (int(raw.min()) < 0 or int(raw.max()) >= self.table.raw_size):
            self.table.check_known(raw, path, what)
        known = self.table.known_mask()
        if not known.all():
            present = np.bincount(raw.reshape(-1).astype(np.int64), minlength=self.table.raw_size)
            bad = np.nonzero((present > 0) & ~known)[0]
            if bad.size:
                self.table.check_known(bad, path, what)

    def pred_ignore_raw(self) -> int | None:
        """Raw id a ``trainIds`` prediction's ignore value (255) stands for."""
        return self.table.first_ignored_raw()

    def check_pred_ids(self, pred_ids: str | None) -> str:
        pred_ids = pred_ids or self.default_pred_ids
        if pred_ids not in PRED_ID_SPACES:
            raise InputError(f"--pred-ids {pred_ids!r}: expected one of {', '.join(PRED_ID_SPACES)}")
        return pred_ids

    @cached_property
    def _train_to_raw(self) -> np.ndarray:
        t = self.table
        size = max(t.num_classes, (self.ignore_index or 0) + 1)
        lut = np.full(size, -1, np.int64)
        lut[: t.num_classes] = t.eval_to_raw
        ign = self.pred_ignore_raw()
        if self.ignore_index is not None and ign is not None and self.ignore_index >= t.num_classes:
            lut[self.ignore_index] = ign
        return lut

    def read_prediction(self, path: Path, pred_ids: str | None = None) -> np.ndarray:
        """A prediction file as raw ids (smallest fitting unsigned dtype)."""
        pred_ids = self.check_pred_ids(pred_ids)
        path = Path(path)
        if path.suffix.lower() == ".png" and png_header(path)[3] in (2, 6):
            raw = self.table.decode_colours(read_rgb_png(path), path)
            return _narrow(raw, self.table.raw_size)
        arr = read_label_map(path) if path.suffix.lower() == ".png" else read_label_npy(path)
        if pred_ids == "labelIds":
            return arr
        lut = self._train_to_raw
        flat = arr.astype(np.int64, copy=False)
        lo, hi = (int(flat.min()), int(flat.max())) if flat.size else (0, 0)
        if lo < 0 or hi >= lut.size or (lut[np.unique(flat)] < 0).any():
            vals = np.unique(flat)
            bad = [int(v) for v in vals if v < 0 or v >= lut.size or lut[v] < 0]
            ign = f" or {self.ignore_index} (no class)" if self.pred_ignore_raw() is not None else ""
            raise LabelRangeError(
                f"{path}: trainId {bad[0]} is not a class of {self.name}; expected 0..{self.table.num_classes - 1}{ign}"
            )
        return _narrow(lut[flat], self.table.raw_size)

    # ------------------------------------------------------------------ convention hooks

    def image_extra_stats(self, sample: Sample, gt_raw: np.ndarray, pred_raw: np.ndarray, convention: str):
        """Per-image statistics beyond the confusion matrix (Cityscapes iIoU); None by default."""
        return None

    def finish_extra(self, raw_confusion: np.ndarray, extras: list, convention: str) -> tuple[dict, dict, list]:
        """``(summary additions, per-class additions {key: (N,) array}, extra per-group rows)``."""
        return {}, {}, []


def _narrow(raw: np.ndarray, raw_size: int) -> np.ndarray:
    if raw_size <= 256:
        return raw.astype(np.uint8)
    if raw_size <= 65536:
        return raw.astype(np.uint16)
    return raw.astype(np.int64)
