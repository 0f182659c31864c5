"""``voc2012`` and ``voc2012-aug``: PASCAL VOC 2012 segmentation (21 classes, 255 = void).

Layout (``--root`` = ``VOCdevkit/VOC2012``, or a folder holding ``VOCdevkit/VOC2012`` or
``VOC2012``)::

    JPEGImages/{id}.jpg
    SegmentationClass/{id}.png             palette PNG: index 0..20, 255 = void/boundary
    ImageSets/Segmentation/{train,val,trainval}.txt

``voc2012-aug`` adds the SBD masks (Hariharan et al.) for the 10,582-image ``train_aug`` split:
GT from ``SegmentationClassAug/{id}.png`` (the usual converted PNGs) when present, else VOC's own
``SegmentationClass/{id}.png``, else SBD's ``benchmark_RELEASE/dataset/cls/{id}.mat``
(``GTcls.Segmentation``, read with scipy, optional). ``train_aug`` is
``ImageSets/Segmentation/train_aug.txt`` (or ``aug.txt``) when present, else
(SBD train + SBD val + VOC train) minus VOC val. The SBD folder is looked up beside the VOC
root (``VOCdevkit/../benchmark_RELEASE``) or inside it, or passed as ``sbd_root=``.

Ids are the same in every space: predictions are palette/greyscale PNGs of 0..20 (255 = no
class) or colour PNGs in the VOC palette.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable, default_palette
from segbench.datasets.layout import empty_split, read_split_list, require_dir, require_ground_truth, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError

VOC_CLASSES = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
]


def voc_table() -> LabelTable:
    colors = default_palette(256)
    rows = [Label(n, k, k, has_instances=k > 0, color=colors[k]) for k, n in enumerate(VOC_CLASSES)]
    rows.append(Label("void", 255, None, ignore_in_eval=True, color=(224, 224, 192)))
    return LabelTable(rows, name="voc2012")


def resolve_voc_root(root, year: str = "VOC2012") -> Path:
    root = require_root(root)
    if (root / "JPEGImages").is_dir() or (root / "ImageSets").is_dir() or (root / "SegmentationClass").is_dir():
        return root
    for cand in (root / "VOCdevkit" / year, root / year):
        if cand.is_dir():
            return cand
    raise InputError(
        f"{root}: expected a {year} folder (JPEGImages/, SegmentationClass/, ImageSets/Segmentation/) "
        f"here, or {root / 'VOCdevkit' / year}"
    )


@register_dataset("voc2012")
class VOC2012Dataset(TableDataset):
    tasks = ("semantic",)
    splits = ("train", "val", "trainval")
    ignore_index = 255
    default_pred_ids = "labelIds"
    description = "PASCAL VOC 2012 segmentation: 21 classes, 255 = void (boundaries)"

    def build_table(self) -> LabelTable:
        return voc_table()

    def pred_ignore_raw(self) -> int | None:
        return 255

    def split_ids(self, voc: Path, split: str) -> list[str]:
        return read_split_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt", f"VOC {split} split list")

    def gt_path(self, voc: Path, image_id: str) -> Path:
        return voc / "SegmentationClass" / f"{image_id}.png"

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        voc = resolve_voc_root(root)
        ids = self.split_ids(voc, split)
        if not ids:
            raise empty_split(self.name, split, voc / "ImageSets" / "Segmentation" / f"{split}.txt")
        out = []
        for i in ids:
            gt = self.gt_path(voc, i)
            out.append(Sample(name=i, image=voc / "JPEGImages" / f"{i}.jpg", semantic=gt, extra={"key": i}))
        return require_ground_truth(out, split)

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        if sample.semantic.suffix == ".mat":
            return read_sbd_mat(sample.semantic)
        return read_label_png(sample.semantic)


def read_sbd_mat(path: Path) -> np.ndarray:
    """SBD ``cls/{id}.mat``: ``GTcls.Segmentation`` (uint8, 0..20; SBD has no void label)."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise InputError(f"{path}: reading SBD .mat masks needs scipy (pip install scipy)") from None
    try:
        mat = loadmat(str(path), struct_as_record=False, squeeze_me=True)
        seg = mat["GTcls"].Segmentation
    except (KeyError, AttributeError, ValueError, OSError) as exc:
        raise FormatError(f"{path}: expected an SBD mask (.mat with GTcls.Segmentation): {exc}") from None
    return np.asarray(seg).astype(np.uint8)


@register_dataset("voc2012-aug")
class VOC2012AugDataset(VOC2012Dataset):
    splits = ("train_aug", "val")
    description = "PASCAL VOC 2012 + SBD masks: train_aug (10,582 images) / val (1,449)"

    def __init__(self, sbd_root: str | Path | None = None):
        self.sbd_root = Path(sbd_root) if sbd_root else None

    def _sbd(self, voc: Path) -> Path:
        if self.sbd_root is not None:
            base = self.sbd_root
        else:
            cands = [voc / "benchmark_RELEASE", voc.parent / "benchmark_RELEASE", voc.parent.parent / "benchmark_RELEASE"]
            base = next((c for c in cands if c.is_dir()), cands[1])
        return base / "dataset" if (base / "dataset").is_dir() else base

    def split_ids(self, voc: Path, split: str) -> list[str]:
        if split == "val":
            return super().split_ids(voc, "val")
        seg = voc / "ImageSets" / "Segmentation"
        for name in ("train_aug.txt", "aug.txt"):
            if (seg / name).is_file():
                return read_split_list(seg / name, "VOC train_aug split list")
        sbd = self._sbd(voc)
        require_dir(sbd / "cls", "SBD cls (benchmark_RELEASE/dataset/cls)")
        ids = set(read_split_list(sbd / "train.txt", "SBD train list")) | set(read_split_list(sbd / "val.txt", "SBD val list"))
        ids |= set(super().split_ids(voc, "train"))
        ids -= set(super().split_ids(voc, "val"))
        return sorted(ids)

    def gt_path(self, voc: Path, image_id: str) -> Path:
        cands = [voc / "SegmentationClassAug" / f"{image_id}.png", voc / "SegmentationClass" / f"{image_id}.png"]
        for c in cands:
            if c.is_file():
                return c
        mat = self._sbd(voc) / "cls" / f"{image_id}.mat"
        return mat if mat.is_file() else cands[0]
