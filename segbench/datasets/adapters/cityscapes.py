"""``cityscapes``: the Cityscapes fine annotations in their official layout.

Layout (``--root`` = the folder holding ``leftImg8bit/`` and ``gtFine/``)::

    leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png      (labelIds 0..33)
    gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_instanceIds.png   (labelId*1000+k, or labelId)
    gtFine/cityscapes_panoptic_{split}.json + gtFine/cityscapes_panoptic_{split}/   (createPanopticImgs)

Label table: cityscapesScripts' ``helpers/labels.py`` (id, trainId, category, hasInstances,
ignoreInEval, colour), taken from the installed package when present, else the identical copy
below (a test checks they agree). 19 evaluated classes (trainIds 0..18).

Predictions: ``labelIds`` (default, what the official script reads), ``trainIds`` (0..18, 255 =
no class -> labelId 0 ``unlabeled``) or colour PNGs in the Cityscapes palette. Files are found
as cityscapesScripts does: ``{city}_{seq}_{frame}*.png`` anywhere under the prediction folder
(anything may follow the frame number: ``..._000019pred.png``, ``..._000019.pred.png``).

Default convention ``cityscapes``: the official ``evalPixelLevelSemanticLabeling`` numbers
(class IoU over the 34x34 labelId matrix, iIoU from ``gtFine_instanceIds``, category IoU/iIoU);
see :mod:`segbench.metrics.cityscapes`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.base import InstanceTarget, PanopticTarget, Sample, register_dataset
from segbench.datasets.cocofmt import panoptic_index, read_panoptic
from segbench.datasets.labels import Label, LabelTable
from segbench.datasets.layout import empty_split, require_dir, require_file, require_root
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError
from segbench.metrics.cityscapes import CityscapesInstanceSums, cityscapes_scores, instance_counts

# name, id, trainId, category, catId, hasInstances, ignoreInEval, color  (cityscapesScripts labels.py)
_ROWS = [
    ("unlabeled", 0, 255, "void", 0, False, True, (0, 0, 0)),
    ("ego vehicle", 1, 255, "void", 0, False, True, (0, 0, 0)),
    ("rectification border", 2, 255, "void", 0, False, True, (0, 0, 0)),
    ("out of roi", 3, 255, "void", 0, False, True, (0, 0, 0)),
    ("static", 4, 255, "void", 0, False, True, (0, 0, 0)),
    ("dynamic", 5, 255, "void", 0, False, True, (111, 74, 0)),
    ("ground", 6, 255, "void", 0, False, True, (81, 0, 81)),
    ("road", 7, 0, "flat", 1, False, False, (128, 64, 128)),
    ("sidewalk", 8, 1, "flat", 1, False, False, (244, 35, 232)),
    ("parking", 9, 255, "flat", 1, False, True, (250, 170, 160)),
    ("rail track", 10, 255, "flat", 1, False, True, (230, 150, 140)),
    ("building", 11, 2, "construction", 2, False, False, (70, 70, 70)),
    ("wall", 12, 3, "construction", 2, False, False, (102, 102, 156)),
    ("fence", 13, 4, "construction", 2, False, False, (190, 153, 153)),
    ("guard rail", 14, 255, "construction", 2, False, True, (180, 165, 180)),
    ("bridge", 15, 255, "construction", 2, False, True, (150, 100, 100)),
    ("tunnel", 16, 255, "construction", 2, False, True, (150, 120, 90)),
    ("pole", 17, 5, "object", 3, False, False, (153, 153, 153)),
    ("polegroup", 18, 255, "object", 3, False, True, (153, 153, 153)),
    ("traffic light", 19, 6, "object", 3, False, False, (250, 170, 30)),
    ("traffic sign", 20, 7, "object", 3, False, False, (220, 220, 0)),
    ("vegetation", 21, 8, "nature", 4, False, False, (107, 142, 35)),
    ("terrain", 22, 9, "nature", 4, False, False, (152, 251, 152)),
    ("sky", 23, 10, "sky", 5, False, False, (70, 130, 180)),
    ("person", 24, 11, "human", 6, True, False, (220, 20, 60)),
    ("rider", 25, 12, "human", 6, True, False, (255, 0, 0)),
    ("car", 26, 13, "vehicle", 7, True, False, (0, 0, 142)),
    ("truck", 27, 14, "vehicle", 7, True, False, (0, 0, 70)),
    ("bus", 28, 15, "vehicle", 7, True, False, (0, 60, 100)),
    ("caravan", 29, 255, "vehicle", 7, True, True, (0, 0, 90)),
    ("trailer", 30, 255, "vehicle", 7, True, True, (0, 0, 110)),
    ("train", 31, 16, "vehicle", 7, True, False, (0, 80, 100)),
    ("motorcycle", 32, 17, "vehicle", 7, True, False, (0, 0, 230)),
    ("bicycle", 33, 18, "vehicle", 7, True, False, (119, 11, 32)),
    ("license plate", -1, -1, "vehicle", 7, False, True, (0, 0, 142)),
]

# cityscapesScripts evalPixelLevelSemanticLabeling args.avgClassSize (pixels, on train).
AVG_CLASS_SIZE = {
    "bicycle": 4672.3249222261, "caravan": 36771.8241758242, "motorcycle": 6298.7200839748,
    "rider": 3930.4788056518, "bus": 35732.1511111111, "train": 67583.7075812274,
    "car": 12794.0202738185, "person": 3462.4756337644, "truck": 27855.1264367816,
    "trailer": 16926.9763313609,
}


def cityscapes_label_rows() -> list[tuple]:
    """Rows of the installed cityscapesScripts labels table, else the built-in copy."""
    try:
        from cityscapesscripts.helpers.labels import labels
    except ImportError:
        return list(_ROWS)
    return [(l.name, l.id, l.trainId, l.category, l.categoryId, l.hasInstances, l.ignoreInEval, tuple(l.color))
            for l in labels]


def cityscapes_table() -> LabelTable:
    rows = [
        Label(name, lid, None if (ign or tid in (255, -1)) else tid, cat, cid, inst, ign, color)
        for name, lid, tid, cat, cid, inst, ign, color in cityscapes_label_rows()
    ]
    return LabelTable(rows, name="cityscapes")


@register_dataset("cityscapes")
class CityscapesDataset(TableDataset):
    tasks = ("semantic", "instance", "panoptic")
    splits = ("train", "val", "test")
    ignore_index = 255
    convention = "cityscapes"
    conventions = ("cityscapes", "default", "detectron2", "mapillary")
    default_pred_ids = "labelIds"
    loose_prediction_prefix = True  # cityscapesScripts' getPrediction: "{city}_{seq}_{frame}*.png"
    description = "Cityscapes gtFine: 19 of 34 labelIds evaluated; class/category IoU and iIoU"

    def build_table(self) -> LabelTable:
        return cityscapes_table()

    # ------------------------------------------------------------------ layout

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        root = require_root(root)
        gt_dir = require_dir(root / "gtFine" / split, f"Cityscapes gtFine/{split}")
        out = []
        for path in sorted(gt_dir.glob("*/*_gtFine_labelIds.png")):
            city = path.parent.name
            if city.startswith(".") or path.name.startswith("."):
                continue  # as glob.glob in cityscapesScripts: hidden files (macOS "._*" copies) are no images
            key = path.name[: -len("_gtFine_labelIds.png")]
            out.append(Sample(
                name=f"{city}/{key}",
                image=root / "leftImg8bit" / split / city / f"{key}_leftImg8bit.png",
                semantic=path,
                instance=path.with_name(f"{key}_gtFine_instanceIds.png"),
                extra={"key": key, "split": split, "root": root},
            ))
        if not out:
            raise empty_split(self.name, split, gt_dir / "*" / "*_gtFine_labelIds.png")
        return out

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        return read_label_png(sample.semantic)

    def read_instance_ids(self, sample: Sample) -> np.ndarray:
        require_file(sample.instance, "Cityscapes gtFine_instanceIds")
        return read_label_png(sample.instance).astype(np.int32)

    def thing_classes(self):
        return [c for c in self.classes() if c.isthing]

    def load_instances(self, sample: Sample) -> InstanceTarget:
        """Instances of evaluated thing classes (ids >= 1000); ``classes`` index ``thing_classes()``."""
        inst = self.read_instance_ids(sample)
        thing_index = {c.label_id: k for k, c in enumerate(self.thing_classes())}
        ids = [int(i) for i in np.unique(inst) if i >= 1000 and int(i) // 1000 in thing_index]
        masks = np.stack([inst == i for i in ids]) if ids else np.zeros((0,) + inst.shape, bool)
        classes = np.array([thing_index[i // 1000] for i in ids], np.int64)
        return InstanceTarget(masks, classes, np.zeros(len(ids), bool))

    def panoptic_annotations(self, root, split: str) -> tuple[Path, Path]:
        self.check_split(split)
        root = require_root(root)
        js = require_file(root / "gtFine" / f"cityscapes_panoptic_{split}.json", "Cityscapes panoptic JSON (createPanopticImgs)")
        folder = require_dir(root / "gtFine" / f"cityscapes_panoptic_{split}", "Cityscapes panoptic PNG")
        return js, folder

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        js, folder = self.panoptic_annotations(sample.extra["root"], sample.extra["split"])
        fname = f"{sample.key}_gtFine_panoptic.png"
        ann = panoptic_index(js).get(fname)
        if ann is None:
            raise FormatError(f"{js}: no annotation for {fname}; expected one per image")
        return PanopticTarget(read_panoptic(folder / fname), list(ann["segments_info"]))

    # ------------------------------------------------------------------ iIoU / categories

    def _instance_setup(self):
        t = self.table
        rows = t.rows
        categories = []
        for r in t.all_rows:
            if r.category not in categories:
                categories.append(r.category)
        tracked = []
        for c in categories:
            members = [r for r in t.all_rows if r.category == c and r.id >= 0]
            if members and all(r.has_instances for r in members):
                tracked.append(c)
        members = np.zeros((len(tracked), t.raw_size), bool)
        cat_of_label = np.full(t.raw_size, -1, np.int64)
        for k, c in enumerate(tracked):
            for r in rows:
                if r.category == c:
                    members[k, r.id] = True
                    cat_of_label[r.id] = k
        inst_labels = [r.id for r in rows if r.has_instances and not r.ignore_in_eval]
        return categories, tracked, members, cat_of_label, inst_labels

    def image_extra_stats(self, sample, gt_raw, pred_raw, convention):
        if convention != "cityscapes":
            return None
        _, _, members, cat_of_label, _ = self._setup
        inst = self.read_instance_ids(sample)
        if inst.shape != gt_raw.shape:
            raise FormatError(f"{sample.instance}: instanceIds map is {inst.shape}, expected {gt_raw.shape} as its labelIds")
        return instance_counts(inst, pred_raw, members, cat_of_label) + (sample.instance,)

    @property
    def _setup(self):
        if not hasattr(self, "_setup_cache"):
            self._setup_cache = self._instance_setup()
        return self._setup_cache

    def finish_extra(self, raw_confusion, extras, convention):
        if convention != "cityscapes":
            return {}, {}, []
        t = self.table
        categories, tracked, _, _, inst_labels = self._setup
        sums = CityscapesInstanceSums.empty(inst_labels, tracked)
        avg = _avg_class_size()
        for ids, sizes, tp, cat_tp, path in extras:
            for k in range(ids.size):
                lid = int(ids[k]) // 1000
                row = t.by_id.get(lid)
                if row is None:
                    raise FormatError(f"{path}: instance id {int(ids[k])} names labelId {lid}, not in the Cityscapes table")
                if row.ignore_in_eval:
                    continue
                if lid not in sums.tp_w:
                    raise FormatError(
                        f"{path}: instance id {int(ids[k])} of class {row.name!r}, which has no instances; "
                        "expected instance ids only for hasInstances classes"
                    )
                size = int(sizes[k])
                weight = avg[row.name] / float(size)
                sums.tp_w[lid] += float(int(tp[k])) * weight
                sums.fn_w[lid] += float(size - int(tp[k])) * weight
                if row.category in sums.cat_tp_w:
                    sums.cat_tp_w[row.category] += float(int(cat_tp[k])) * weight
                    sums.cat_fn_w[row.category] += float(size - int(cat_tp[k])) * weight
        summary, per_label, per_cat = cityscapes_scores(raw_confusion, t.rows, sums, categories)
        iiou = np.array([per_label["iiou"][int(r)] for r in t.eval_to_raw])
        groups = [
            {"name": c, "iou": per_cat["iou"][c], "iiou": per_cat["iiou"][c]}
            for c in categories
            if not all(r.ignore_in_eval for r in t.all_rows if r.category == c)
        ]
        return summary, {"iiou": iiou}, groups


def _avg_class_size() -> dict:
    return dict(AVG_CLASS_SIZE)
