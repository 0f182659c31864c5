"""``segbench synth`` instance output: COCO instances ground truth and a COCO results file.

Layout under OUT:

- ``instance/instances.json``: COCO instances JSON. Images ``id = index + 1`` (``file_name``
  ``NAME.png``, the RGB image in ``OUT/images``), categories = the thing classes of the shapes world
  (``id`` = class id), one annotation per *visible* object (occluded parts removed): crowd
  objects as uncompressed RLE with ``iscrowd: 1``, every third regular object as polygons (OpenCV
  contours; ``area`` is the area of the rasterised polygons), the others as compressed RLE;
  ``area`` is the pixel count, ``bbox`` the mask's box.
- ``instance/results.json``: the perturbed prediction scene's visible objects as detections
  ``{image_id, category_id, segmentation (compressed RLE), score}`` (no ``bbox``, as detectron2
  writes them, so areas come from the masks).
"""

from __future__ import annotations

import numpy as np

from segbench.datasets import synthetic as sx
from segbench.datasets.synth_writer import SynthItem, TaskWriter, task_writer
from segbench.fileio import atomic_write_json


def rle_compressed(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": rle["counts"].decode("ascii")}


def rle_uncompressed(mask: np.ndarray) -> dict:
    """Column-major run lengths starting with background (COCO uncompressed RLE)."""
    flat = np.asarray(mask, bool).T.reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in counts]}


def polygons(mask: np.ndarray) -> list[list[float]]:
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


@task_writer("instance")
class InstanceWriter(TaskWriter):
    def begin(self) -> None:
        (self.config.out / "instance").mkdir(parents=True, exist_ok=True)
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.results: list[dict] = []
        self.categories = [{"id": c.id, "name": c.name, "supercategory": "shape"}
                           for c in sx.shapes_classes(self.config.classes) if c.isthing]

    def add(self, item: SynthItem) -> None:
        from pycocotools import mask as mask_utils

        image_id = item.index + 1
        h, w = item.scene.height, item.scene.width
        self.images.append({"id": image_id, "file_name": f"{item.name}.png", "height": h, "width": w})
        for n, k in enumerate(item.rendered.visible):
            obj = item.scene.objects[k]
            mask = item.rendered.instance == k + 1
            if obj.iscrowd:
                seg = rle_uncompressed(mask)
                area = int(mask.sum())
            elif n % 3 == 2 and polygons(mask):
                seg = polygons(mask)
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
                area = int(mask_utils.area(rle))
            else:
                seg = rle_compressed(mask)
                area = int(mask.sum())
            bbox = [float(v) for v in mask_utils.toBbox(rle_compressed(mask))]
            self.annotations.append({"id": len(self.annotations) + 1, "image_id": image_id, "category_id": int(obj.cls),
                                     "segmentation": seg, "area": area, "bbox": bbox, "iscrowd": int(obj.iscrowd)})
        for k in item.pred_rendered.visible:
            obj = item.pred_scene.objects[k]
            mask = item.pred_rendered.instance == k + 1
            self.results.append({"image_id": image_id, "category_id": int(obj.cls),
                                 "segmentation": rle_compressed(mask), "score": round(float(obj.score), 4)})

    def finish(self) -> None:
        root = self.config.out / "instance"
        atomic_write_json(root / "instances.json", {
            "info": {"description": f"segbench synthetic shapes (seed {self.config.seed})"},
            "images": self.images, "annotations": self.annotations, "categories": self.categories,
        })
        atomic_write_json(root / "results.json", self.results)
