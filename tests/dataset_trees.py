"""Tiny dataset trees in the real on-disk layouts (real folder structure and file names),
generated for the dataset-adapter tests."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def save_l(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr.astype(np.uint8), mode="L").save(path)
    return path


def save_u16(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr.astype(np.uint16))
    return path


def save_rgb(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr.astype(np.uint8), mode="RGB").save(path)
    return path


def save_palette(path: Path, arr: np.ndarray, palette: list[tuple[int, int, int]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(arr.astype(np.uint8), mode="P")
    flat = [c for rgb in palette for c in rgb]
    im.putpalette(flat + [0] * (768 - len(flat)))
    im.save(path)
    return path


def save_jpg(path: Path, h: int, w: int, rng) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def blobs(rng, h: int, w: int, values: list[int], n: int = 6) -> np.ndarray:
    """A label map of random rectangles over a random background value."""
    out = np.full((h, w), values[0], np.int64)
    for _ in range(n):
        y0, x0 = rng.integers(0, h - 2), rng.integers(0, w - 2)
        y1, x1 = rng.integers(y0 + 1, h + 1), rng.integers(x0 + 1, w + 1)
        out[y0:y1, x0:x1] = rng.choice(values)
    return out


def noisy(rng, gt: np.ndarray, values: list[int], rate: float = 0.3) -> np.ndarray:
    pred = gt.copy()
    flip = rng.random(gt.shape) < rate
    pred[flip] = rng.choice(values, size=int(flip.sum()))
    return pred


# ------------------------------------------------------------------ Cityscapes

CS_STUFF = [7, 8, 11, 17, 21, 23]          # road, sidewalk, building, pole, vegetation, sky
CS_IGNORED = [0, 1, 3, 4, 6, 9, 14, 18]     # unlabeled, ego, out of roi, static, ground, parking, guard rail, polegroup
CS_THINGS = [24, 25, 26, 27, 28, 29, 31, 32, 33]  # incl. caravan (29, ignoreInEval with instances)


def make_cityscapes(root: Path, rng, split: str = "val", cities=(("frankfurt", 2), ("lindau", 2)),
                    shape=(40, 56)) -> list[str]:
    """gtFine labelIds + instanceIds (+ leftImg8bit images); returns the image keys."""
    h, w = shape
    keys = []
    for city, n in cities:
        for k in range(n):
            key = f"{city}_{k:06d}_{19 + 10 * k:06d}"
            keys.append(f"{city}/{key}")
            label = blobs(rng, h, w, CS_STUFF + CS_IGNORED, n=8)
            inst = label.copy()
            for j in range(rng.integers(3, 7)):
                lid = int(rng.choice(CS_THINGS))
                y0, x0 = rng.integers(0, h - 4), rng.integers(0, w - 4)
                y1, x1 = y0 + rng.integers(2, 12), x0 + rng.integers(2, 14)
                label[y0:y1, x0:x1] = lid
                inst[y0:y1, x0:x1] = lid * 1000 + j
            # a group region (instance id = label id, no instance) and a tiny instance
            label[h - 3:, :5] = 24
            inst[h - 3:, :5] = 24
            gt_dir = root / "gtFine" / split / city
            save_l(gt_dir / f"{key}_gtFine_labelIds.png", label)
            save_u16(gt_dir / f"{key}_gtFine_instanceIds.png", inst)
            save_jpg(root / "leftImg8bit" / split / city / f"{key}_leftImg8bit.png", h, w, rng)
    return keys


def cityscapes_predictions(root: Path, out: Path, rng, split: str = "val", rate: float = 0.35,
                           flat: bool = True, values=None) -> list[Path]:
    """labelId predictions: the GT with a share of pixels set to random ids in ``values``
    (default: every labelId 0..33, so ignoreInEval ids and 0 = unlabeled are predicted too)."""
    values = list(range(34)) if values is None else values
    paths = []
    for gt in sorted((root / "gtFine" / split).glob("*/*_gtFine_labelIds.png")):
        key = gt.name[: -len("_gtFine_labelIds.png")]
        pred = noisy(rng, np.asarray(Image.open(gt)).astype(np.int64), values, rate)
        dest = out / f"{key}_leftImg8bit.png" if flat else out / gt.parent.name / f"{key}.png"
        paths.append(save_l(dest, pred))
    return paths


# ------------------------------------------------------------------ VOC / Pascal Context

def make_voc(root: Path, rng, ids_by_split: dict[str, list[str]], year: str = "VOC2012",
             seg_dir: str = "SegmentationClass", sets_dir: str = "Segmentation", values=None, shape=(20, 24),
             palette=None) -> Path:
    voc = root / "VOCdevkit" / year
    values = list(range(21)) if values is None else values
    all_ids = sorted({i for ids in ids_by_split.values() for i in ids})
    for i in all_ids:
        gt = blobs(rng, shape[0], shape[1], values)
        gt[0, :] = 255  # boundary / void
        if palette is not None:
            save_palette(voc / seg_dir / f"{i}.png", gt, palette)
        else:
            save_l(voc / seg_dir / f"{i}.png", gt)
        save_jpg(voc / "JPEGImages" / f"{i}.jpg", shape[0], shape[1], rng)
    lists = voc / "ImageSets" / sets_dir
    lists.mkdir(parents=True, exist_ok=True)
    for split, ids in ids_by_split.items():
        (lists / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))
    return voc


def label_predictions(gt_paths: list[Path], out: Path, rng, values: list[int], rate=0.3, name=lambda p: p.name,
                      writer=save_l) -> list[Path]:
    paths = []
    for p in gt_paths:
        gt = np.asarray(Image.open(p)).astype(np.int64)
        pred = noisy(rng, gt, values, rate)
        paths.append(writer(out / name(p), pred))
    return paths


# ------------------------------------------------------------------ Mapillary

def mapillary_config(n_labels: int = 8) -> dict:
    labels = []
    for i in range(n_labels):
        labels.append({"color": [(37 * i) % 256, (91 * i + 13) % 256, (53 * i + 7) % 256], "instances": i % 3 == 0,
                       "readable": f"Label {i}", "name": f"group--label-{i}", "evaluate": i != n_labels - 1 and i != 2})
    return {"labels": labels, "version": "1.2", "mapping": "public"}


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path
