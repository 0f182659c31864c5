"""``shapes``: the built-in synthetic world as a dataset (no files needed; ``root`` is unused).

Splits are disjoint index ranges of one world seed: ``train`` = scenes 0..train_size-1,
``val`` = the next ``val_size`` scenes. Semantic targets carry the 255 void border of
``segbench synth``; instance targets are the visible objects (crowd objects flagged);
panoptic targets use segment ids ``1..`` for objects and stuff regions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets import synthetic as sx
from segbench.datasets.base import ClassInfo, InstanceTarget, PanopticTarget, Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable
from segbench.datasets.table_adapter import TableDataset


@register_dataset("shapes")
class ShapesDataset(TableDataset):
    tasks = ("semantic", "instance", "panoptic")
    splits = ("train", "val")
    ignore_index = 255
    description = "built-in synthetic shapes (stuff + things), generated in memory"

    def __init__(self, num_classes: int = 6, size: tuple[int, int] = (96, 96), train_size: int = 256,
                 val_size: int = 64, seed: int = 0):
        self._num_classes = num_classes
        self.size = tuple(size)
        self.train_size = train_size
        self.val_size = val_size
        self.seed = seed

    def classes(self) -> list[ClassInfo]:
        return [ClassInfo(c.id, c.name, c.color, c.isthing) for c in sx.shapes_classes(self._num_classes)]

    def build_table(self) -> LabelTable:
        """Raw ids are the class ids (what ``segbench synth`` writes); 255 = void border."""
        rows = [Label(c.name, c.id, c.id, has_instances=c.isthing, color=tuple(c.color)) for c in self.classes()]
        rows.append(Label("void", 255, None, ignore_in_eval=True, color=(255, 255, 255)))
        return LabelTable(rows, name="shapes")

    @property
    def num_classes(self) -> int:
        return self._num_classes

    def pred_ignore_raw(self) -> int | None:
        return 255

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        return self.load_semantic(sample)

    def thing_classes(self) -> list[ClassInfo]:
        return [c for c in self.classes() if c.isthing]

    def samples(self, root: Path | None, split: str) -> list[Sample]:
        self.check_split(split)
        start, count = (0, self.train_size) if split == "train" else (self.train_size, self.val_size)
        return [Sample(name=f"shapes_{i:05d}", extra={"index": i}) for i in range(start, start + count)]

    def _scene(self, sample: Sample):
        i = sample.extra["index"]
        scene = sx.make_scene(self.seed, i, self.size[0], self.size[1], self._num_classes)
        return i, scene, sx.render(scene)

    def load_image(self, sample: Sample) -> np.ndarray:
        i, scene, rendered = self._scene(sample)
        return sx.render_image(scene, rendered, self.seed, i)

    def load_semantic(self, sample: Sample) -> np.ndarray:
        _, _, rendered = self._scene(sample)
        return sx.semantic_ground_truth(rendered)

    def load_instances(self, sample: Sample) -> InstanceTarget:
        """Visible objects; ``classes`` are contiguous thing indices (0 = first thing class)."""
        _, scene, rendered = self._scene(sample)
        thing_index = {c.id: k for k, c in enumerate(self.thing_classes())}
        keep = rendered.visible
        h, w = self.size
        masks = np.zeros((len(keep), h, w), bool)
        for j, k in enumerate(keep):
            masks[j] = rendered.instance == k + 1
        classes = np.array([thing_index[scene.objects[k].cls] for k in keep], np.int64)
        crowd = np.array([scene.objects[k].iscrowd for k in keep], bool)
        return InstanceTarget(masks, classes, crowd)

    def load_panoptic(self, sample: Sample) -> PanopticTarget:
        _, scene, rendered = self._scene(sample)
        segments = np.zeros(rendered.semantic.shape, np.int32)
        info = []
        next_id = 1
        for cls in (c for c in self.classes() if not c.isthing):
            m = (rendered.instance == 0) & (rendered.semantic == cls.id)
            if m.any():
                segments[m] = next_id
                info.append({"id": next_id, "category_id": cls.id, "iscrowd": 0, "area": int(m.sum())})
                next_id += 1
        for k in rendered.visible:
            m = rendered.instance == k + 1
            segments[m] = next_id
            obj = scene.objects[k]
            info.append({"id": next_id, "category_id": obj.cls, "iscrowd": int(obj.iscrowd), "area": int(m.sum())})
            next_id += 1
        return PanopticTarget(segments, info)
