"""COCO-panoptic input: JSON parsing with strict validation, and the colour-PNG reader.

Format (http://cocodataset.org/#format-data): a JSON with ``categories`` (``id``, ``name``,
``isthing``) and ``annotations`` (``image_id``, ``file_name``, ``segments_info``: list of
``{id, category_id, iscrowd, area}``), and one 8-bit RGB PNG per image whose pixel colour encodes
the segment id as ``id = R + 256 G + 256^2 B`` (0 = VOID). Prediction JSONs use the same layout;
a predicted segment's ``iscrowd`` is ignored and its area is the PNG's pixel count (as panopticapi);
its JSON ``area`` is optional, but one that is given must equal that count (panopticapi would
silently overwrite it). Prediction entries whose ``image_id`` is not a ground-truth image are set
aside unread (not evaluated).

Every problem is a one-line :class:`~segbench.errors.SegbenchError` naming the file, the image
id, the segment id and what was expected; nothing is silently dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segbench.datasets.readers import PNG_COLOR_TYPES, decode_opencv, decode_pillow, png_header, read_png_fast
from segbench.fileio import read_json as read_json_file
from segbench.errors import FormatError, InputError, MissingPredictionError

MAX_ID = 256**3 - 1


@dataclass(frozen=True)
class PanopticCategory:
    id: int
    name: str
    isthing: bool


@dataclass
class PanopticAnnotation:
    """One image's entry. ``ids``, ``category``, ``iscrowd``, ``area`` are per segment in JSON
    order (``iscrowd`` False for predictions, which panopticapi never reads; ``area`` -1 where a
    prediction gives none)."""

    image_id: object
    file_name: str
    ids: list[int]
    category: list[int]
    iscrowd: list[bool]
    area: list[int]


@dataclass
class PanopticJson:
    path: Path
    categories: list[PanopticCategory]
    annotations: list[PanopticAnnotation]
    extra: list = field(default_factory=list)  # image ids of entries set aside (not ground-truth images)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def read_json(path: str | os.PathLike, role: str) -> dict:
    data = read_json_file(path, f"{role} JSON")
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object with 'annotations', got {type(data).__name__}")
    return data


def parse_categories(data: dict, path: Path) -> list[PanopticCategory]:
    cats = data.get("categories")
    if not isinstance(cats, list) or not cats:
        raise FormatError(f"{path}: expected a non-empty 'categories' list (COCO panoptic)")
    out, seen = [], set()
    for k, c in enumerate(cats):
        if not isinstance(c, dict) or not _is_int(c.get("id")):
            raise FormatError(f"{path}: categories[{k}] has no integer 'id'")
        cid = int(c["id"])
        if cid in seen:
            raise FormatError(f"{path}: category id {cid} is listed twice in 'categories'")
        seen.add(cid)
        isthing = c.get("isthing")
        if isthing not in (0, 1, True, False) or isinstance(isthing, float):
            raise FormatError(f"{path}: category {cid} has isthing {isthing!r}, expected 0 or 1")
        out.append(PanopticCategory(cid, str(c.get("name", cid)), bool(isthing)))
    return out


def parse_annotations(data: dict, path: Path, category_ids: set[int], role: str,
                      image_ids: set | None = None, extra: list | None = None) -> list[PanopticAnnotation]:
    """Validate ``annotations``; ``role`` is 'ground truth' (area and iscrowd required) or
    'prediction' (``iscrowd`` not read and ``area`` optional, as panopticapi).

    ``image_ids``: where given, entries whose ``image_id`` is not in it are not validated further
    (panopticapi never reads them): their ids are appended to ``extra`` instead.
    """
    anns = data.get("annotations")
    if not isinstance(anns, list):
        raise FormatError(f"{path}: expected an 'annotations' list (COCO panoptic {role})")
    gt = role == "ground truth"
    out, seen_images = [], set()
    for k, a in enumerate(anns):
        if not isinstance(a, dict) or "image_id" not in a:
            raise FormatError(f"{path}: annotations[{k}] has no 'image_id'")
        image_id = a["image_id"]
        if not isinstance(image_id, (int, str)) or isinstance(image_id, bool):
            raise FormatError(f"{path}: annotations[{k}] image_id {image_id!r} is not an integer or string")
        if image_ids is not None and image_id not in image_ids:
            if extra is not None:
                extra.append(image_id)
            continue
        if image_id in seen_images:
            raise FormatError(f"{path}: image {image_id!r} has two entries in 'annotations'")
        seen_images.add(image_id)
        file_name = a.get("file_name")
        if not isinstance(file_name, str) or not file_name:
            raise FormatError(f"{path}: image {image_id!r} has no 'file_name' of its PNG")
        segs = a.get("segments_info")
        if not isinstance(segs, list):
            raise FormatError(f"{path}: image {image_id!r} has no 'segments_info' list")
        ann = PanopticAnnotation(image_id, file_name, [], [], [], [])
        seen = set()
        for s in segs:
            if not isinstance(s, dict) or not _is_int(s.get("id")):
                raise FormatError(f"{path}: image {image_id!r} has a segment without an integer 'id'")
            sid = int(s["id"])
            where = f"{path}: image {image_id!r} segment {sid}"
            if sid in seen:
                raise FormatError(f"{path}: image {image_id!r} lists segment id {sid} twice in segments_info")
            seen.add(sid)
            if not 1 <= sid <= MAX_ID:
                raise FormatError(f"{where}: id must be in 1..{MAX_ID} (0 is VOID; ids are R + 256 G + 256^2 B)")
            cat = s.get("category_id")
            if not _is_int(cat):
                raise FormatError(f"{where} has no integer 'category_id'")
            if int(cat) not in category_ids:
                raise FormatError(f"{where} has category_id {cat}, which is not in the ground truth's 'categories'")
            crowd = _gt_crowd(s, where) if gt else False
            area = _json_area(s, where, required=gt)
            ann.ids.append(sid)
            ann.category.append(int(cat))
            ann.iscrowd.append(crowd)
            ann.area.append(area)
        out.append(ann)
    return out


def _gt_crowd(s: dict, where: str) -> bool:
    """A ground-truth segment's ``iscrowd``: required, 0 or 1 (a prediction's is never read)."""
    crowd = s.get("iscrowd")
    if crowd not in (0, 1, True, False) or isinstance(crowd, float):
        raise FormatError(f"{where} has iscrowd {crowd!r}, expected 0 or 1")
    return bool(crowd)


def _json_area(s: dict, where: str, required: bool) -> int:
    """A segment's JSON ``area``, a pixel count >= 0; -1 where an optional (prediction) area is absent.

    Ground-truth areas are required (panopticapi scores with them); a prediction's is optional and,
    where given, is checked against the PNG like the ground truth's, though the PNG count is used."""
    area = s.get("area")
    if area is None:
        if required:
            raise FormatError(f"{where} has no 'area' (ground-truth areas come from the JSON)")
        return -1
    if not _is_int(area) and not (isinstance(area, float) and area.is_integer()):
        raise FormatError(f"{where} has area {area!r}, expected a pixel count")
    if area < 0:
        raise FormatError(f"{where} has area {area}, expected a pixel count >= 0")
    return int(area)


def load_panoptic_json(path: str | os.PathLike, role: str,
                       categories: list[PanopticCategory] | None = None,
                       image_ids: set | None = None) -> PanopticJson:
    """Read and validate a COCO-panoptic JSON. Predictions are checked against ``categories``
    (the ground truth's; a prediction file's own ``categories`` are not needed). ``image_ids``
    (the ground truth's): entries of other images are set aside unread, their ids in ``extra``."""
    path = Path(path)
    data = read_json(path, role)
    cats = parse_categories(data, path) if categories is None else categories
    extra: list = []
    anns = parse_annotations(data, path, {c.id for c in cats}, role, image_ids, extra)
    return PanopticJson(path, cats, anns, extra)


def match_annotations(gt: PanopticJson, pred: PanopticJson) -> tuple[list[tuple[PanopticAnnotation, PanopticAnnotation]], list]:
    """Pair GT and prediction entries by ``image_id`` (GT order). A GT image without prediction
    is an error, and so is a GT without images (nothing to evaluate); predictions of images not
    in the GT are returned (and not evaluated)."""
    if not gt.annotations:
        raise FormatError(f"{gt.path}: 'annotations' is empty; expected one entry per ground-truth image "
                          f"(nothing to evaluate)")
    by_id = {a.image_id: a for a in pred.annotations}
    missing = [a.image_id for a in gt.annotations if a.image_id not in by_id]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise MissingPredictionError(
            f"{pred.path}: no prediction entry for ground-truth image {missing[0]!r}{more} of {gt.path}; "
            f"expected one annotation per image_id"
        )
    gt_ids = {a.image_id for a in gt.annotations}
    extra = list(pred.extra) + [a.image_id for a in pred.annotations if a.image_id not in gt_ids]
    return [(a, by_id[a.image_id]) for a in gt.annotations], extra


def panoptic_png_shape(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(H, W, channels)`` a segment-id PNG decodes to (channels 4 for RGBA, else 3)."""
    width, height, _, color_type = png_header(path)
    return height, width, 4 if color_type == 6 else 3


def read_panoptic_png(path: str | os.PathLike, decoder: str = "auto",
                      out: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """Decode a segment-id PNG: ``(array (H, W, 3|4) uint8, channel order 'RGB' | 'BGR')``.

    ``decoder``: 'auto' (Wuffs where the ``fast`` extra is installed, else OpenCV, which returns
    BGR), 'wuffs' (the same), 'opencv' or 'pillow' (RGB). Only 8-bit RGB and RGBA PNGs are ids
    (alpha ignored, as panopticapi does); anything else is refused. ``out``: a buffer of shape
    :func:`panoptic_png_shape` that OpenCV may decode into; the result may or may not be ``out``.
    """
    path = Path(path)
    (width, height, depth, color_type), array = read_png_fast(path, decoder)
    if color_type not in (2, 6) or depth != 8:
        kind = PNG_COLOR_TYPES.get(color_type, "unknown")
        raise FormatError(f"{path}: is a {depth}-bit {kind} PNG, expected an 8-bit RGB PNG of segment ids "
                          f"(id = R + 256 G + 256^2 B)")
    order = "RGB"
    if array is None and decoder != "pillow":
        array = decode_opencv(path, out)
        order = "BGR"
    if array is None:
        array, order = decode_pillow(path), "RGB"
    if array.ndim != 3 or array.shape[:2] != (height, width) or array.shape[2] not in (3, 4) or array.dtype != np.uint8:
        raise FormatError(f"{path}: decoded to {array.shape} {array.dtype}, expected {height}x{width} 8-bit RGB")
    return array, order


def check_inputs(gt_json, gt_dir, pred_json, pred_dir) -> None:
    for value, what in ((gt_dir, "--gt-dir"), (pred_dir, "--pred-dir")):
        if not Path(value).is_dir():
            raise InputError(f"{what} {value}: no such folder (expected the folder of segment-id PNGs)")
