"""``segbench synth`` panoptic output: COCO-panoptic PNG + JSON, ground truth and prediction.

Layout under OUT::

    panoptic/gt.json, panoptic/gt/NAME.png       ground truth
    panoptic/pred.json, panoptic/pred/NAME.png   the perturbed scene as a prediction

PNGs are 8-bit RGB with ``id = R + 256 G + 256^2 B`` (0 = VOID). Category ids are the shapes
class ids (0 = background, stuff; 1 = ground, stuff, with 4+ classes; then things, ``isthing``
1). Ground-truth segment ids: stuff ``class + 1``, objects ``(class + 1) * 65536 + k + 1`` (all
three channels in use); object borders are VOID (as the semantic GT's 255 border) and crowd
objects of the scene have ``iscrowd`` 1 (several crowd regions of one class can occur, which
exercises panopticapi's one-crowd-region-per-category rule). Predictions number their segments
``(j + 1) * 4099`` and leave VOID holes where a predicted object scored below 0.1 (a discarded
detection), as panoptic fusion does.
"""

from __future__ import annotations

import numpy as np

from segbench.datasets import synthetic as sx
from segbench.datasets.synth_writer import SynthItem, TaskWriter, save_png, task_writer
from segbench.fileio import atomic_write_json

VOID_SCORE = 0.1


def id_to_rgb(ids: np.ndarray) -> np.ndarray:
    ids = ids.astype(np.int64)
    return np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1).astype(np.uint8)


def _segments(scene: sx.Scene, rendered: sx.Rendered, void: np.ndarray, gt: bool) -> tuple[np.ndarray, list[dict]]:
    ids = np.zeros(rendered.semantic.shape, np.int64)
    info: list[dict] = []
    regions = []  # (mask, category, iscrowd, gt id)
    for cls in (c for c in sx.shapes_classes(scene.num_classes) if not c.isthing):
        regions.append(((rendered.instance == 0) & (rendered.semantic == cls.id), cls.id, False, cls.id + 1))
    for k in rendered.visible:
        obj = scene.objects[k]
        regions.append((rendered.instance == k + 1, obj.cls, obj.iscrowd, (obj.cls + 1) * 65536 + k + 1))
    j = 0
    for mask, cat, crowd, gt_id in regions:
        mask = mask & ~void
        area = int(mask.sum())
        if area == 0:
            continue
        sid = gt_id if gt else (j + 1) * 4099
        j += 1
        ids[mask] = sid
        seg = {"id": int(sid), "category_id": int(cat), "iscrowd": int(bool(crowd) and gt), "area": area}
        info.append(seg)
    return ids, info


def panoptic_ground_truth(item: SynthItem) -> tuple[np.ndarray, list[dict]]:
    """GT id map (int64) and segments_info; object borders are VOID."""
    void = sx.boundary_mask(item.rendered.instance, item.rendered.semantic)
    return _segments(item.scene, item.rendered, void, gt=True)


def panoptic_prediction(item: SynthItem) -> tuple[np.ndarray, list[dict]]:
    """Prediction id map and segments_info; low-score objects leave VOID holes."""
    void = np.zeros(item.pred_rendered.semantic.shape, bool)
    for k in item.pred_rendered.visible:
        if item.pred_scene.objects[k].score < VOID_SCORE:
            void |= item.pred_rendered.instance == k + 1
    return _segments(item.pred_scene, item.pred_rendered, void, gt=False)


@task_writer("panoptic")
class PanopticWriter(TaskWriter):
    def begin(self) -> None:
        root = self.config.out / "panoptic"
        (root / "gt").mkdir(parents=True, exist_ok=True)
        (root / "pred").mkdir(parents=True, exist_ok=True)
        self.images: list[dict] = []
        self.gt_anns: list[dict] = []
        self.pred_anns: list[dict] = []

    def add(self, item: SynthItem) -> None:
        root = self.config.out / "panoptic"
        file_name = f"{item.name}.png"
        gt_ids, gt_info = panoptic_ground_truth(item)
        pred_ids, pred_info = panoptic_prediction(item)
        save_png(root / "gt" / file_name, id_to_rgb(gt_ids))
        save_png(root / "pred" / file_name, id_to_rgb(pred_ids))
        h, w = gt_ids.shape
        self.images.append({"id": item.index, "file_name": file_name, "height": h, "width": w})
        self.gt_anns.append({"image_id": item.index, "file_name": file_name, "segments_info": gt_info})
        self.pred_anns.append({"image_id": item.index, "file_name": file_name,
                               "segments_info": [{k: s[k] for k in ("id", "category_id", "area")} for s in pred_info]})

    def finish(self) -> None:
        root = self.config.out / "panoptic"
        cats = [{"id": c.id, "name": c.name, "isthing": int(c.isthing), "color": list(c.color),
                 "supercategory": "thing" if c.isthing else "stuff"} for c in sx.shapes_classes(self.config.classes)]
        atomic_write_json(root / "gt.json", {"images": self.images, "annotations": self.gt_anns, "categories": cats})
        atomic_write_json(root / "pred.json", {"images": self.images, "annotations": self.pred_anns, "categories": cats})
