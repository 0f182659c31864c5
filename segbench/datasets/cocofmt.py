"""COCO-format helpers shared by adapters: panoptic PNG + JSON reading (no pycocotools needed).

Panoptic PNGs encode segment ids as ``id = R + 256 G + 256^2 B`` (0 = VOID), panopticapi's
``rgb2id``; ``segments_info`` come from the JSON's ``annotations`` entry of the same file name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from segbench.datasets.readers import read_rgb_png
from segbench.errors import FormatError
from segbench.fileio import read_json


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


@lru_cache(maxsize=8)
def load_json(path: str) -> dict:
    data = read_json(path, "annotation JSON")
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object")
    return data


def require_keys(data: dict, path, keys: tuple[str, ...]) -> None:
    for k in keys:
        if k not in data:
            raise FormatError(f"{path}: missing key {k!r}; expected a COCO-format annotation file")


def panoptic_index(json_path: Path) -> dict[str, dict]:
    """``{png file name: annotation}`` of a COCO panoptic JSON."""
    data = load_json(str(json_path))
    require_keys(data, json_path, ("annotations", "categories"))
    return {a["file_name"]: a for a in data["annotations"]}


def read_panoptic(png_path: Path) -> np.ndarray:
    return rgb2id(read_rgb_png(png_path)).astype(np.int32)
