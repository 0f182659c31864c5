"""``sift-flow`` (33 semantic classes) and ``sift-flow-geo`` (3 geometric classes).

Layout (``--root`` = the unpacked ``SiftFlowDataset``), as Liu et al. release it and FCN reads it::

    Images/spatial_envelope_256x256_static_8outdoorcategories/{key}.jpg
    SemanticLabels/spatial_envelope_256x256_static_8outdoorcategories/{key}.mat   S: 0 = unlabeled, 1..33
    GeoLabels/spatial_envelope_256x256_static_8outdoorcategories/{key}.mat        S: 1 sky, 2 horizontal, 3 vertical
    TestSet1.txt                                    the 200 test images (Liu et al.)
    {trainval,test}.txt                             FCN's split lists, when present

Splits: ``test`` (FCN's ``test.txt`` or ``TestSet1.txt``) and ``trainval`` (FCN's list, else
every other image). Unlabeled (0) is not evaluated; raw ``k`` -> evaluation id ``k - 1`` (FCN
``label -= 1``). Label maps may also be PNGs of the same raw ids (``{key}.png``). Reading .mat
files needs scipy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable, default_palette
from segbench.datasets.layout import empty_split, read_split_list, require_dir, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError

SIFT_FLOW = [
    "awning", "balcony", "bird", "boat", "bridge", "building", "bus", "car", "cow", "crosswalk", "desert", "door",
    "fence", "field", "grass", "moon", "mountain", "person", "plant", "pole", "river", "road", "rock", "sand",
    "sea", "sidewalk", "sign", "sky", "staircase", "streetlight", "sun", "tree", "window",
]
GEO = ["sky", "horizontal", "vertical"]
SUB = "spatial_envelope_256x256_static_8outdoorcategories"


def _key(entry: str) -> str:
    return Path(entry.replace("\\", "/")).stem


class _SiftFlowBase(TableDataset):
    tasks = ("semantic",)
    splits = ("trainval", "test")
    ignore_index = 255
    labels_dir = "SemanticLabels"
    names: list[str] = SIFT_FLOW

    def build_table(self) -> LabelTable:
        colors = default_palette(len(self.names) + 1)
        rows = [Label("unlabeled", 0, None, ignore_in_eval=True, color=(0, 0, 0))]
        rows += [Label(n, k + 1, k, color=colors[k + 1]) for k, n in enumerate(self.names)]
        return LabelTable(rows, name=self.name)

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        root = require_root(root)
        labels = require_dir(root / self.labels_dir / SUB, f"SIFT Flow {self.labels_dir}/{SUB}")
        available = {p.stem: p for p in sorted(labels.iterdir()) if p.suffix in (".mat", ".png")}
        if (root / f"{split}.txt").is_file():
            keys = [_key(e) for e in read_split_list(root / f"{split}.txt")]
        else:
            test = [_key(e) for e in read_split_list(root / "TestSet1.txt", "SIFT Flow TestSet1.txt (or FCN test.txt)")]
            keys = test if split == "test" else sorted(set(available) - set(test))
        if not keys:
            raise empty_split(self.name, split, labels)
        out = []
        for k in keys:
            if k not in available:
                raise InputError(f"{labels / (k + '.mat')}: expected the label file of {split} image {k} here")
            out.append(Sample(name=k, image=root / "Images" / SUB / f"{k}.jpg", semantic=available[k], extra={"key": k}))
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        if sample.semantic.suffix == ".png":
            return read_label_png(sample.semantic)
        try:
            from scipy.io import loadmat
        except ImportError:
            raise InputError(f"{sample.semantic}: reading SIFT Flow .mat labels needs scipy") from None
        try:
            s = np.asarray(loadmat(str(sample.semantic))["S"])
        except (KeyError, ValueError, OSError) as exc:
            raise FormatError(f"{sample.semantic}: expected a SIFT Flow label .mat with field S ({exc})") from None
        if s.min() < 0:
            raise FormatError(f"{sample.semantic}: label {int(s.min())} is negative; expected 0 (unlabeled) or a class id")
        return s.astype(np.uint8)


@register_dataset("sift-flow")
class SiftFlow(_SiftFlowBase):
    labels_dir = "SemanticLabels"
    names = SIFT_FLOW
    description = "SIFT Flow: 33 semantic classes, 0 = unlabeled; 2,488 trainval / 200 test"


@register_dataset("sift-flow-geo")
class SiftFlowGeo(_SiftFlowBase):
    labels_dir = "GeoLabels"
    names = GEO
    description = "SIFT Flow geometric labels: sky / horizontal / vertical"
