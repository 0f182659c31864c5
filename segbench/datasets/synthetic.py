"""The built-in synthetic "shapes" world: deterministic scenes of stuff and thing classes.

A scene is a list of parametric objects (circle, square, triangle, ...) over stuff regions
(background and, with 4+ classes, a wavy "ground" band). Rendering a scene gives a semantic label
map, an instance-id map and an RGB image whose colours depend on the class (so models can learn
it). A *prediction* is the same scene with its parameters perturbed (shifted and rescaled
objects, wrong classes, dropped objects, spurious detections with scores), so semantic,
instance and panoptic ground truth and predictions all come from one scene and agree.

Everything is a pure function of ``(seed, index)``: ``segbench synth`` output is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond", "ellipse", "ring", "cross")
IGNORE = 255

_PALETTE = [
    (70, 70, 70), (128, 64, 128), (220, 20, 60), (0, 0, 142), (250, 170, 30), (107, 142, 35),
    (119, 11, 32), (0, 130, 180), (255, 0, 255), (0, 255, 128), (255, 255, 0), (153, 51, 255),
    (255, 128, 0), (0, 204, 204), (204, 0, 102), (128, 128, 0),
]


@dataclass(frozen=True)
class ShapesClass:
    id: int
    name: str
    isthing: bool
    color: tuple[int, int, int]
    shape: str | None = None


def shapes_classes(num_classes: int) -> list[ShapesClass]:
    """Class table: 0 = background (stuff), 1 = ground (stuff, with 4+ classes), then things."""
    if num_classes < 2:
        raise ValueError("the shapes world needs at least 2 classes (background + one thing)")
    classes = [ShapesClass(0, "background", False, _PALETTE[0])]
    first_thing = 1
    if num_classes >= 4:
        classes.append(ShapesClass(1, "ground", False, _PALETTE[1]))
        first_thing = 2
    for k in range(first_thing, num_classes):
        shape = SHAPES[(k - first_thing) % len(SHAPES)]
        round_ = (k - first_thing) // len(SHAPES)
        name = shape if round_ == 0 else f"{shape}{round_ + 1}"
        color = _PALETTE[k % len(_PALETTE)] if k < len(_PALETTE) else tuple(
            int(c) for c in np.random.default_rng(k).integers(30, 256, 3))
        classes.append(ShapesClass(k, name, True, color, shape))
    return classes


@dataclass
class SceneObject:
    cls: int
    shape: str
    cy: float  # centre, fractions of height/width
    cx: float
    r: float  # radius, fraction of min(height, width)
    aspect: float = 1.0
    iscrowd: bool = False
    score: float = 1.0


@dataclass
class Scene:
    height: int
    width: int
    num_classes: int
    horizon: float | None  # fraction of the height where "ground" starts; None: no ground
    wave: tuple[float, float]  # amplitude (fraction), phase
    objects: list[SceneObject] = field(default_factory=list)


def _scene_rng(seed: int, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, stream])


def make_scene(seed: int, index: int, height: int, width: int, num_classes: int,
               crowd_prob: float = 0.06) -> Scene:
    """Ground-truth scene ``index`` of the world ``seed``."""
    rng = _scene_rng(seed, index, 0)
    classes = shapes_classes(num_classes)
    things = [c for c in classes if c.isthing]
    has_ground = any(c.name == "ground" for c in classes)
    horizon = float(rng.uniform(0.55, 0.8)) if has_ground else None
    wave = (float(rng.uniform(0.0, 0.06)), float(rng.uniform(0, 2 * np.pi)))
    objects = []
    for _ in range(int(rng.integers(2, 7))):
        c = things[int(rng.integers(len(things)))]
        objects.append(SceneObject(
            cls=c.id, shape=c.shape or "circle",
            cy=float(rng.uniform(0.12, 0.88)), cx=float(rng.uniform(0.12, 0.88)),
            r=float(rng.uniform(0.06, 0.2)), aspect=float(rng.uniform(0.6, 1.0)),
            iscrowd=bool(rng.random() < crowd_prob),
        ))
    return Scene(height, width, num_classes, horizon, wave, objects)


def perturb_scene(scene: Scene, seed: int, index: int, quality: float = 0.8) -> Scene:
    """A noisy "prediction" of ``scene``: jittered objects, class errors, misses, false positives.

    ``quality`` in (0, 1]: higher means smaller perturbations. Scores are higher for objects that
    stayed close to their ground truth, as a detector's would be.
    """
    rng = _scene_rng(seed, index, 1)
    classes = shapes_classes(scene.num_classes)
    things = [c for c in classes if c.isthing]
    noise = 1.0 - quality
    objects = []
    for obj in scene.objects:
        if rng.random() < 0.5 * noise:
            continue  # missed
        cls = obj.cls
        wrong = rng.random() < 0.4 * noise
        if wrong:
            cls = things[int(rng.integers(len(things)))].id
        shift = 0.25 * noise
        dy, dx = rng.normal(0, shift * obj.r, 2)
        scale = float(np.exp(rng.normal(0, 0.5 * noise)))
        err = abs(dy) + abs(dx) + abs(np.log(scale)) * obj.r
        score = float(np.clip(rng.uniform(0.5, 1.0) - 3 * err - (0.3 if wrong else 0.0), 0.01, 0.999))
        shape = next(c.shape for c in classes if c.id == cls)
        objects.append(replace(obj, cls=cls, shape=shape or obj.shape, cy=obj.cy + dy, cx=obj.cx + dx,
                               r=obj.r * scale, iscrowd=False, score=score))
    for _ in range(int(rng.poisson(2.0 * noise))):
        c = things[int(rng.integers(len(things)))]
        objects.append(SceneObject(c.id, c.shape or "circle", float(rng.uniform(0.1, 0.9)),
                                   float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.03, 0.12)),
                                   float(rng.uniform(0.6, 1.0)), False, float(rng.uniform(0.01, 0.5))))
    horizon = None if scene.horizon is None else scene.horizon + float(rng.normal(0, 0.03 * noise))
    return Scene(scene.height, scene.width, scene.num_classes, horizon, scene.wave, objects)


def shape_mask(obj: SceneObject, height: int, width: int) -> np.ndarray:
    """Boolean mask of one object."""
    y, x = np.ogrid[:height, :width]
    s = min(height, width)
    r = max(obj.r * s, 1.0)
    u = (x - obj.cx * width) / r
    v = (y - obj.cy * height) / (r * obj.aspect)
    if obj.shape == "circle":
        return u * u + v * v <= 1.0
    if obj.shape == "square":
        return (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85)
    if obj.shape == "triangle":
        return (v <= 0.8) & (v >= 2 * np.abs(u) - 1.0)
    if obj.shape == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    if obj.shape == "ellipse":
        return (u / 1.0) ** 2 + (v / 0.55) ** 2 <= 1.0
    if obj.shape == "ring":
        d = u * u + v * v
        return (d <= 1.0) & (d >= 0.3)
    if obj.shape == "cross":
        return ((np.abs(u) <= 0.3) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= 0.3) & (np.abs(u) <= 1.0))
    raise ValueError(f"unknown shape {obj.shape!r}")


@dataclass
class Rendered:
    semantic: np.ndarray  # uint8 class per pixel (no ignore)
    instance: np.ndarray  # int32: 0 = stuff, k + 1 = objects[k]
    visible: list[int]  # indices of objects with at least one visible pixel


def render(scene: Scene) -> Rendered:
    """Paint stuff, then objects in order (later objects occlude earlier ones)."""
    h, w = scene.height, scene.width
    semantic = np.zeros((h, w), np.uint8)
    if scene.horizon is not None:
        y = np.arange(h)[:, None] / h
        x = np.arange(w)[None, :] / w
        amp, phase = scene.wave
        semantic[y >= scene.horizon + amp * np.sin(2 * np.pi * x + phase)] = 1
    instance = np.zeros((h, w), np.int32)
    for k, obj in enumerate(scene.objects):
        m = shape_mask(obj, h, w)
        semantic[m] = obj.cls
        instance[m] = k + 1
    present = np.zeros(len(scene.objects) + 1, bool)
    present[np.unique(instance)] = True
    return Rendered(semantic, instance, [k for k in range(len(scene.objects)) if present[k + 1]])


def boundary_mask(instance: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """Pixels whose 4-neighbourhood crosses an object boundary (VOC-style void border)."""
    key = instance.astype(np.int64) * 256 + semantic
    b = np.zeros(key.shape, bool)
    dv = key[1:, :] != key[:-1, :]
    dh = key[:, 1:] != key[:, :-1]
    inst_edge_v = (instance[1:, :] > 0) | (instance[:-1, :] > 0)
    inst_edge_h = (instance[:, 1:] > 0) | (instance[:, :-1] > 0)
    dv &= inst_edge_v
    dh &= inst_edge_h
    b[1:, :] |= dv
    b[:-1, :] |= dv
    b[:, 1:] |= dh
    b[:, :-1] |= dh
    return b


def semantic_ground_truth(rendered: Rendered, void_border: bool = True) -> np.ndarray:
    sem = rendered.semantic.copy()
    if void_border:
        sem[boundary_mask(rendered.instance, rendered.semantic)] = IGNORE
    return sem


def render_image(scene: Scene, rendered: Rendered, seed: int, index: int) -> np.ndarray:
    """RGB uint8 image: class colours with per-image lighting, texture and sensor noise."""
    rng = _scene_rng(seed, index, 2)
    classes = shapes_classes(scene.num_classes)
    colors = np.array([c.color for c in classes], np.float32)
    img = colors[rendered.semantic]
    gain = rng.uniform(0.75, 1.15)
    tint = rng.normal(0, 8, 3)
    h, w = scene.height, scene.width
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    shading = 1.0 + 0.12 * np.sin(xx / max(w, 1) * rng.uniform(2, 6) + rng.uniform(0, 6))[..., None]
    img = img * gain * shading + tint + rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)
