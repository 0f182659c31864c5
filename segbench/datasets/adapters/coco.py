"""``coco``: COCO 2017 — instances JSON, panoptic JSON + PNGs, COCO-Stuff 164k semantic maps.

Layout (``--root`` = the COCO folder)::

    {train2017,val2017}/{image_id:012d}.jpg
    annotations/instances_{split}.json                 instance masks (polygons/RLE), 80 things
    annotations/panoptic_{split}.json                  panoptic segments_info, 80 things + 53 stuff
    annotations/panoptic_{split}/{image_id:012d}.png   panoptic ids R + 256 G + 256^2 B
    stuffthingmaps_trainval2017/{split}/{image_id:012d}.png   COCO-Stuff: label = category id - 1
                                                        (0..181, 182 ids of which 171 used), 255 = unlabeled
      (also accepted: annotations/{split}/*.png from the cocostuff repo, and mmseg's converted
       annotations/{split}/*_labelTrainIds.png, which hold evaluation ids 0..170)

Category ids are non-contiguous (things 1..90, stuff 92..182): the semantic table maps the 171
used raw ids to evaluation ids 0..170 in id order; instance targets index the 80 thing
categories sorted by id; panoptic categories come from the panoptic JSON itself.

``instance_annotations(root, split)`` and ``panoptic_annotations(root, split)`` resolve the
JSON/PNG paths for ``segbench eval instance|panoptic --dataset coco``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import InstanceTarget, PanopticTarget, Sample, register_dataset
from segbench.datasets.cocofmt import load_json, panoptic_index, read_panoptic, require_keys
from segbench.datasets.labels import Label, LabelTable, default_palette
from segbench.datasets.layout import empty_split, require_dir, require_file, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError

COCO_THINGS = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "donut",
    61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone", 78: "microwave",
    79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book", 85: "clock", 86: "vase",
    87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}

# COCO-Stuff stuff categories, ids 92..182 in order.
COCO_STUFF = [
    "banner", "blanket", "branch", "bridge", "building-other", "bush", "cabinet", "cage", "cardboard", "carpet",
    "ceiling-other", "ceiling-tile", "cloth", "clothes", "clouds", "counter", "cupboard", "curtain",
    "desk-stuff", "dirt", "door-stuff", "fence", "floor-marble", "floor-other", "floor-stone", "floor-tile",
    "floor-wood", "flower", "fog", "food-other", "fruit", "furniture-other", "grass", "gravel",
    "ground-other", "hill", "house", "leaves", "light", "mat", "metal", "mirror-stuff", "moss", "mountain",
    "mud", "napkin", "net", "paper", "pavement", "pillow", "plant-other", "plastic", "platform",
    "playingfield", "railing", "railroad", "river", "road", "rock", "roof", "rug", "salad", "sand", "sea",
    "shelf", "sky-other", "skyscraper", "snow", "solid-other", "stairs", "stone", "straw",
    "structural-other", "table", "tent", "textile-other", "towel", "tree", "vegetable", "wall-brick",
    "wall-concrete", "wall-other", "wall-panel", "wall-stone", "wall-tile", "wall-wood", "water-other",
    "waterdrops", "window-blind", "window-other", "wood",
]


def coco_stuff_categories() -> dict[int, str]:
    cats = dict(COCO_THINGS)
    cats.update({92 + k: n for k, n in enumerate(COCO_STUFF)})
    return cats


def coco_stuff_table() -> LabelTable:
    """Raw id = category id - 1 (the stuffthingmaps PNG value); 255 = unlabeled."""
    cats = coco_stuff_categories()
    colors = default_palette(256)
    rows = [Label(name, cid - 1, k, has_instances=cid <= 90, color=colors[k + 1])
            for k, (cid, name) in enumerate(sorted(cats.items()))]
    rows.append(Label("unlabeled", 255, None, ignore_in_eval=True, color=(0, 0, 0)))
    return LabelTable(rows, name="coco")


SPLITS = ("train2017", "val2017")


@register_dataset("coco")
class COCODataset(TableDataset):
    tasks = ("semantic", "instance", "panoptic")
    splits = SPLITS
    ignore_index = 255
    default_pred_ids = "labelIds"
    description = "COCO 2017: instances (80), panoptic (80 things + 53 stuff), COCO-Stuff semantic (171)"

    def build_table(self) -> LabelTable:
        return coco_stuff_table()

    def pred_ignore_raw(self) -> int | None:
        return 255

    # ------------------------------------------------------------------ paths

    def _root(self, root) -> Path:
        return require_root(root)

    def instance_annotations(self, root, split: str) -> Path:
        self.check_split(split)
        return require_file(self._root(root) / "annotations" / f"instances_{split}.json", f"COCO instances_{split}.json")

    def panoptic_annotations(self, root, split: str) -> tuple[Path, Path]:
        self.check_split(split)
        ann = self._root(root) / "annotations"
        js = require_file(ann / f"panoptic_{split}.json", f"COCO panoptic_{split}.json")
        folder = require_dir(ann / f"panoptic_{split}", f"COCO panoptic_{split} PNG (unzip annotations/panoptic_{split}.zip)")
        return js, folder

    def stuff_dir(self, root, split: str) -> Path:
        root = self._root(root)
        cands = [root / "stuffthingmaps_trainval2017" / split, root / "annotations" / split]
        for c in cands:
            if c.is_dir():
                return c
        raise InputError(f"{cands[0]}: expected the COCO-Stuff label maps of {split} here (stuffthingmaps_trainval2017.zip; "
                         f"also tried {cands[1]})")

    # ------------------------------------------------------------------ samples

    def samples(self, root, split: str, task: str = "semantic") -> list[Sample]:
        self.check_split(split)
        root = self._root(root)
        if task == "semantic":
            d = self.stuff_dir(root, split)
            out = []
            for p in sorted(d.glob("*.png")):
                key = p.stem[: -len("_labelTrainIds")] if p.stem.endswith("_labelTrainIds") else p.stem
                out.append(Sample(name=key, image=root / split / f"{key}.jpg", semantic=p,
                                  extra={"key": key, "trainids": p.stem.endswith("_labelTrainIds")}))
            if not out:
                raise empty_split(self.name, split, d)
            return out
        if task == "panoptic":
            js, folder = self.panoptic_annotations(root, split)
            data = load_json(str(js))
            require_keys(data, js, ("images", "annotations", "categories"))
            out = [Sample(name=Path(a["file_name"]).stem, image=root / split / Path(a["file_name"]).with_suffix(".jpg").name,
                          panoptic=folder / a["file_name"], extra={"key": Path(a["file_name"]).stem, "json": js, "image_id": a["image_id"]})
                   for a in data["annotations"]]
        elif task == "instance":
            js = self.instance_annotations(root, split)
            data = load_json(str(js))
            require_keys(data, js, ("images", "annotations", "categories"))
            out = [Sample(name=Path(im["file_name"]).stem, image=root / split / im["file_name"],
                          extra={"key": Path(im["file_name"]).stem, "json": js, "image_id": im["id"],
                                 "height": im["height"], "width": im["width"]})
                   for im in sorted(data["images"], key=lambda im: im["id"])]
        else:
            raise InputError(f"dataset 'coco' has no {task} task (tasks: {', '.join(self.tasks)})")
        if not out:
            raise empty_split(self.name, split, root)
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        arr = read_label_png(sample.semantic)
        if sample.extra.get("trainids"):
            lut = np.full(256, 255, np.int64)
            lut[: self.table.num_classes] = self.table.eval_to_raw
            lut[255] = 255
            return lut[arr].astype(np.uint8)
        return arr

    def thing_categories(self) -> list[tuple[int, str]]:
        return sorted(COCO_THINGS.items())

    def load_instances(self, sample: Sample) -> InstanceTarget:
        """Masks from the instances JSON (pycocotools ``annToMask``); classes index the 80 things by id."""
        from pycocotools import mask as mask_utils

        js = sample.extra.get("json")
        if js is None:
            raise InputError("coco instance targets need samples(root, split, task='instance')")
        data = load_json(str(js))
        index = {cid: k for k, (cid, _) in enumerate(self.thing_categories())}
        h, w = sample.extra["height"], sample.extra["width"]
        anns = [a for a in data["annotations"] if a["image_id"] == sample.extra["image_id"]]
        masks, classes, crowd = [], [], []
        for a in anns:
            seg = a["segmentation"]
            if isinstance(seg, list):
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
            elif isinstance(seg.get("counts"), list):
                rle = mask_utils.frPyObjects(seg, h, w)
            else:
                rle = seg
            if a["category_id"] not in index:
                raise FormatError(f"{js}: annotation {a.get('id')} has category_id {a['category_id']}, not a COCO thing category")
            masks.append(mask_utils.decode(rle).astype(bool))
            classes.append(index[a["category_id"]])
            crowd.append(bool(a.get("iscrowd", 0)))
        m = np.stack(masks) if masks else np.zeros((0, h, w), bool)
        return InstanceTarget(m, np.array(classes, np.int64), np.array(crowd, bool))

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        js = sample.extra.get("json")
        if js is None or sample.panoptic is None:
            raise InputError("coco panoptic targets need samples(root, split, task='panoptic')")
        ann = panoptic_index(js).get(sample.panoptic.name)
        return PanopticTarget(read_panoptic(sample.panoptic), list(ann["segments_info"]))

    def panoptic_categories(self, root, split: str) -> list[dict]:
        js, _ = self.panoptic_annotations(root, split)
        return list(load_json(str(js))["categories"])
