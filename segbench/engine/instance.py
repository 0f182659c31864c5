"""COCO instance evaluation: load and validate the ground-truth and results JSON, decode masks,
compute IoU, match and collect :class:`~segbench.metrics.instance.InstanceStats`.

Everything after JSON parsing works on flat arrays: masks are column-major run lengths in one
int64/uint32 array (``cnts[c0:c1]`` per mask), annotations and detections are grouped into
*blocks* (one per image/category pair) and the Numba kernels of :mod:`segbench.kernels.coco`
process all blocks at once, in threads over block chunks when there is enough work.

Semantics are pycocotools' (``COCO.loadRes``, ``COCOeval.evaluate``); where pycocotools would crash
or silently drop input, segbench raises a one-line :class:`~segbench.errors.FormatError` instead
(see docs/metrics.md, "Instance segmentation").
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from segbench.fileio import parse_json_bytes, read_file_bytes, read_json
from segbench.errors import FormatError, InputError
from segbench.metrics.instance import InstanceParams, InstanceStats, iou_thresholds

IOU_TYPES = ("segm", "bbox")
# Blocks are split over threads only with --jobs > 1 and at least this much work (pairs +
# detections). Measured on the 2-core machine (benchmarks/bench_instance.py workload, 37k
# detections): IoU and matching take 15-20 ms serially, 2 threads were no faster, so the default
# is serial.
PARALLEL_MIN_WORK = 20000


@dataclass
class Masks:
    """Run-length masks: mask ``i`` is ``cnts[start[i]:start[i+1]]``; area and first/last
    foreground pixel (flat column-major index, ``-1`` when empty)."""

    cnts: np.ndarray
    start: np.ndarray
    area: np.ndarray
    first: np.ndarray
    last: np.ndarray


@dataclass
class GroundTruth:
    path: str
    image_ids: np.ndarray  # sorted int64
    heights: np.ndarray
    widths: np.ndarray
    category_ids: np.ndarray  # sorted int64
    category_names: list[str]
    ann_image: np.ndarray  # index into image_ids, file order
    ann_category: np.ndarray  # index into category_ids
    ann_id: np.ndarray
    ann_area: np.ndarray
    ann_crowd: np.ndarray
    annotations: list[dict] = field(repr=False, default_factory=list)


@dataclass
class Detections:
    path: str
    image: np.ndarray  # index into GroundTruth.image_ids
    category: np.ndarray  # index into GroundTruth.category_ids
    score: np.ndarray
    area: np.ndarray
    results: list[dict] = field(repr=False, default_factory=list)
    masks: "Masks | None" = field(repr=False, default=None)  # decoded by the fast path (then results = [])


@dataclass
class InstanceEvaluation:
    stats: InstanceStats
    seconds: float
    timings: dict[str, float]
    gt_path: str
    pred_path: str


# ------------------------------------------------------------------ reading and validation


def _column(items: list, key: str, path, what: str, optional: bool = False):
    try:
        return [it[key] for it in items]
    except (KeyError, TypeError):
        pass
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise FormatError(f"{path}: {what} #{i} is {type(it).__name__}; expected a JSON object")
        if key not in it:
            if optional:
                out.append(None)
                continue
            raise FormatError(f"{path}: {what} #{i} has no {key!r}")
        out.append(it[key])
    return out


def _int_array(values: list, path, what: str, key: str) -> np.ndarray:
    if not all(type(v) is int for v in values):
        for i, v in enumerate(values):
            if type(v) is not int:
                raise FormatError(f"{path}: {what} #{i} has {key} {v!r}; expected an integer")
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        raise FormatError(f"{path}: a {what} {key} does not fit in 64 bits") from None


def _num_array(values: list, path, what: str, key: str, ids=None) -> np.ndarray:
    ok = all(type(v) is float or type(v) is int for v in values)
    arr = np.array(values, dtype=np.float64) if ok else None
    if arr is None or not np.isfinite(arr).all():
        for i, v in enumerate(values):
            if type(v) not in (float, int) or not math.isfinite(v):
                who = f"{what} #{i}" + (f" (image_id {ids[i]})" if ids is not None else "")
                raise FormatError(f"{path}: {who} has {key} {v!r}; expected a finite number")
    return arr


def load_ground_truth(path: str | os.PathLike, iou_type: str = "segm") -> GroundTruth:
    """Read a COCO instances JSON (``images``, ``annotations``, ``categories``) and validate it."""
    data = read_json(path, "ground-truth")
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a COCO instances JSON object, got a JSON {type(data).__name__}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise FormatError(f"{path}: no {key!r} list; expected a COCO instances file with images, annotations and categories")
    images, anns, cats = data["images"], data["annotations"], data["categories"]
    if not images:
        raise FormatError(f"{path}: the 'images' list is empty; nothing to evaluate")

    img_ids = _int_array(_column(images, "id", path, "image"), path, "image", "id")
    if iou_type == "segm":
        heights = _int_array(_column(images, "height", path, "image"), path, "image", "height")
        widths = _int_array(_column(images, "width", path, "image"), path, "image", "width")
        bad = np.flatnonzero((heights < 1) | (widths < 1))
        if len(bad):
            i = int(bad[0])
            raise FormatError(f"{path}: image id {img_ids[i]} has size {heights[i]}x{widths[i]}; expected positive height and width")
    else:
        heights = np.array([im.get("height", 0) if type(im.get("height", 0)) is int else 0 for im in images], np.int64)
        widths = np.array([im.get("width", 0) if type(im.get("width", 0)) is int else 0 for im in images], np.int64)
    order = np.argsort(img_ids, kind="stable")
    img_ids, heights, widths = img_ids[order], heights[order], widths[order]
    dup = np.flatnonzero(img_ids[1:] == img_ids[:-1])
    if len(dup):
        raise FormatError(f"{path}: image id {img_ids[dup[0]]} appears more than once in 'images'")

    if not cats:
        raise FormatError(f"{path}: the 'categories' list is empty; expected the evaluated categories")
    cat_ids = _int_array(_column(cats, "id", path, "category"), path, "category", "id")
    names = [str(n) if n is not None else str(c) for n, c in zip(_column(cats, "name", path, "category", optional=True), cat_ids)]
    corder = np.argsort(cat_ids, kind="stable")
    cat_ids = cat_ids[corder]
    names = [names[i] for i in corder]
    dup = np.flatnonzero(cat_ids[1:] == cat_ids[:-1])
    if len(dup):
        raise FormatError(f"{path}: category id {cat_ids[dup[0]]} appears more than once in 'categories'")

    n = len(anns)
    if n:
        a_img = _int_array(_column(anns, "image_id", path, "annotation"), path, "annotation", "image_id")
        a_cat = _int_array(_column(anns, "category_id", path, "annotation"), path, "annotation", "category_id")
        a_id = _int_array(_column(anns, "id", path, "annotation"), path, "annotation", "id")
        a_area = _num_array(_column(anns, "area", path, "annotation"), path, "annotation", "area")
        crowd_raw = [a.get("iscrowd", 0) for a in anns]
        if not all(type(c) in (int, bool) for c in crowd_raw):
            i = next(i for i, c in enumerate(crowd_raw) if type(c) not in (int, bool))
            raise FormatError(f"{path}: annotation #{i} (id {a_id[i]}) has iscrowd {crowd_raw[i]!r}; expected 0 or 1")
        a_crowd = np.array(crowd_raw, dtype=np.int64) != 0
    else:
        a_img = a_cat = a_id = np.zeros(0, np.int64)
        a_area = np.zeros(0)
        a_crowd = np.zeros(0, bool)
    ii = np.searchsorted(img_ids, a_img)
    bad = np.flatnonzero((ii >= len(img_ids)) | (img_ids[np.minimum(ii, len(img_ids) - 1)] != a_img))
    if len(bad):
        i = int(bad[0])
        raise FormatError(f"{path}: annotation #{i} (id {a_id[i]}) has image_id {a_img[i]}, which is not in 'images'")
    ci = np.searchsorted(cat_ids, a_cat)
    bad = np.flatnonzero((ci >= len(cat_ids)) | (cat_ids[np.minimum(ci, len(cat_ids) - 1)] != a_cat))
    if len(bad):
        i = int(bad[0])
        raise FormatError(f"{path}: annotation #{i} (id {a_id[i]}) has category_id {a_cat[i]}, which is not in 'categories'")
    if n:
        s = np.sort(a_id)
        dup = np.flatnonzero(s[1:] == s[:-1])
        if len(dup):
            raise FormatError(f"{path}: annotation id {s[dup[0]]} appears more than once; expected unique ids "
                              "(pycocotools would silently evaluate one of them twice)")
    return GroundTruth(str(path), img_ids, heights, widths, cat_ids, names, ii.astype(np.int64),
                       ci.astype(np.int64), a_id, a_area, a_crowd, anns)


def load_results(path: str | os.PathLike, gt: GroundTruth, iou_type: str = "segm",
                 timings: dict | None = None) -> Detections:
    """Read a COCO results JSON (a list of ``{image_id, category_id, segmentation|bbox, score}``).

    Files in the common form (compressed RLE, no ``bbox``) go through a Numba scanner that reads
    ids, scores and RLE straight from the bytes and decodes the masks (no Python objects per
    result); anything else, and any file that fails a check, goes through ``json`` and the general
    validation, which words the error message.
    """
    timings = {} if timings is None else timings
    t = time.perf_counter()
    raw = read_file_bytes(path, "results")
    fast = _fast_results(raw, gt, path, timings, t) if iou_type == "segm" else None
    if fast is not None:
        return fast
    t = time.perf_counter()
    data = parse_json_bytes(raw, path, "results")
    del raw
    dt = results_from_list(data, gt, path, iou_type)
    timings["parse results JSON (json module)"] = time.perf_counter() - t
    return dt


def _fast_results(raw: bytes, gt: GroundTruth, path, timings: dict, t0: float) -> Detections | None:
    from segbench.kernels.coco import decode_rle_strings, rle_summaries, scan_results_json

    cap = raw.count(b"{")
    buf = np.frombuffer(raw, np.uint8)
    img = np.empty(cap, np.int64)
    cat = np.empty(cap, np.int64)
    s0 = np.empty(cap, np.int64)
    s1 = np.empty(cap, np.int64)
    hw = np.empty((cap, 2), np.int64)
    c0 = np.empty(cap, np.int64)
    c1 = np.empty(cap, np.int64)
    n, ok, bound = scan_results_json(buf, img, cat, s0, s1, hw, c0, c1)
    if not ok:
        return None
    img, cat, hw, c0, c1 = img[:n], cat[:n], hw[:n], c0[:n], c1[:n]
    I, C = len(gt.image_ids), len(gt.category_ids)
    ii = np.searchsorted(gt.image_ids, img)
    ci = np.searchsorted(gt.category_ids, cat)
    if n and ((ii >= I).any() or (gt.image_ids[np.minimum(ii, I - 1)] != img).any()
              or (ci >= C).any() or (gt.category_ids[np.minimum(ci, C - 1)] != cat).any()):
        return None
    if n and ((hw[:, 0] != gt.heights[ii]) | (hw[:, 1] != gt.widths[ii])).any():
        return None
    score = np.array([float(raw[a:b]) for a, b in zip(s0[:n].tolist(), s1[:n].tolist())], np.float64)
    if not np.isfinite(score).all():
        return None
    t1 = time.perf_counter()
    cnts = np.empty(max(bound, 1), np.uint32)
    start = np.empty(n + 1, np.int64)
    bad, _ = decode_rle_strings(buf, c0, c1, True, hw[:, 0] * hw[:, 1], cnts, start)
    if bad >= 0:
        return None
    cnts = cnts[: start[n]]
    area = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    rle_summaries(cnts, start, area, first, last)
    masks = Masks(cnts, start, area, first, last)
    timings["parse results JSON (Numba scan)"] = t1 - t0
    timings["decode RLE (results)"] = time.perf_counter() - t1
    return Detections(str(path), ii.astype(np.int64), ci.astype(np.int64), score, area.astype(np.float64), [], masks)


def results_from_list(data, gt: GroundTruth, path, iou_type: str = "segm") -> Detections:
    if not isinstance(data, list):
        raise FormatError(f"{path}: expected a JSON list of results, got a JSON {type(data).__name__}")
    n = len(data)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Detections(str(path), empty, empty, np.zeros(0), np.zeros(0), [])
    r_img = _int_array(_column(data, "image_id", path, "result"), path, "result", "image_id")
    r_cat = _int_array(_column(data, "category_id", path, "result"), path, "result", "category_id")
    scores = _column(data, "score", path, "result")
    score = _num_array(scores, path, "result", "score", r_img)
    ii = np.searchsorted(gt.image_ids, r_img)
    bad = np.flatnonzero((ii >= len(gt.image_ids)) | (gt.image_ids[np.minimum(ii, len(gt.image_ids) - 1)] != r_img))
    if len(bad):
        i = int(bad[0])
        raise FormatError(f"{path}: result #{i} has image_id {r_img[i]}, which is not in the ground truth {gt.path}")
    ci = np.searchsorted(gt.category_ids, r_cat)
    bad = np.flatnonzero((ci >= len(gt.category_ids)) | (gt.category_ids[np.minimum(ci, len(gt.category_ids) - 1)] != r_cat))
    if len(bad):
        i = int(bad[0])
        raise FormatError(f"{path}: result #{i} (image_id {r_img[i]}) has category_id {r_cat[i]}, "
                          f"which is not a category of the ground truth {gt.path}")
    return Detections(str(path), ii.astype(np.int64), ci.astype(np.int64), score, np.zeros(n), data)


def _boxes(values: list, path, what: str, ids) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
        ok = arr.shape == (len(values), 4) and np.isfinite(arr).all()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        for i, v in enumerate(values):
            if not (isinstance(v, list) and len(v) == 4 and all(type(x) in (int, float) and math.isfinite(x) for x in v)):
                raise FormatError(f"{path}: {what} #{i} (id {ids[i]}) has bbox {v!r}; expected [x, y, width, height]")
    return arr.reshape(len(values), 4)


# ------------------------------------------------------------------ masks


_RLE_REASONS = {
    1: "holds a character outside the compressed-RLE alphabet ('0'..'o')",
    2: "ends inside a run length",
    3: "decodes to a negative or too large run length",
}


def _segmentation_string(seg, h: int, w: int, path, who: str) -> str:
    """One segmentation (compressed RLE, uncompressed RLE or polygons) -> compressed counts."""
    if isinstance(seg, dict):
        size = seg.get("size")
        counts = seg.get("counts")
        if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int for v in size)):
            raise FormatError(f"{path}: {who} has RLE size {size!r}; expected [height, width]")
        if size != [h, w]:
            raise FormatError(f"{path}: {who} has RLE size {size} but the image is {h}x{w}; expected [{h}, {w}]")
        if isinstance(counts, str):
            return counts
        if isinstance(counts, list):
            if not all(type(c) is int and c >= 0 for c in counts):
                raise FormatError(f"{path}: {who} has uncompressed RLE counts that are not all non-negative integers")
            if sum(counts) != h * w:
                raise FormatError(f"{path}: {who} has RLE counts summing to {sum(counts)}; expected {h}*{w} = {h * w}")
            from pycocotools import mask as mask_utils

            return mask_utils.frPyObjects(seg, h, w)["counts"].decode("ascii")  # as annToRLE does
        raise FormatError(f"{path}: {who} has RLE counts of type {type(counts).__name__}; expected a string or a list")
    if isinstance(seg, list):
        from pycocotools import mask as mask_utils

        try:
            polys = [[float(v) for v in poly] for poly in seg]
            if not polys or not all(math.isfinite(v) for poly in polys for v in poly):
                raise ValueError
            rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
        except Exception:  # pycocotools raises bare Exception for unsupported shapes
            raise FormatError(f"{path}: {who} has a polygon segmentation pycocotools cannot read; "
                              "expected a list of [x1, y1, x2, y2, ...] polygons") from None
        return rle["counts"].decode("ascii")
    raise FormatError(f"{path}: {who} has segmentation of type {type(seg).__name__}; expected RLE or polygons")


def decode_masks(strings: list[str], pixels: np.ndarray, path, describe) -> Masks:
    """Decode compressed RLE strings (one Numba pass) and validate them against the image sizes."""
    from segbench.kernels.coco import RLE_SIZE_MISMATCH, decode_rle_strings, rle_summaries

    n = len(strings)
    try:
        joined = "".join(strings)
        blob = joined.encode("ascii")
        del joined
    except UnicodeEncodeError:
        i = next(i for i, s in enumerate(strings) if not s.isascii())
        raise FormatError(f"{path}: {describe(i)} has RLE counts {_clip(strings[i])}; "
                          f"{_RLE_REASONS[1]}") from None
    starts = np.zeros(n + 1, np.int64)
    if n:
        np.cumsum(np.fromiter(map(len, strings), np.int64, n), out=starts[1:])
    buf = np.frombuffer(blob, np.uint8) if blob else np.zeros(0, np.uint8)
    # a value ends at a character '0'..'O' (no continuation bit): that count bounds the output
    cnts = np.empty(max(int(np.count_nonzero((buf >= 48) & (buf < 80))), 1), np.uint32)
    start = np.empty(n + 1, np.int64)
    bad, status = decode_rle_strings(buf, starts[:-1], starts[1:], False, pixels.astype(np.int64), cnts, start)
    if bad >= 0:
        s = strings[bad]
        if status == RLE_SIZE_MISMATCH:
            raise FormatError(f"{path}: {describe(bad)} has RLE counts that do not cover its {pixels[bad]} pixels; "
                              "expected counts summing to height*width (is the size right?)")
        raise FormatError(f"{path}: {describe(bad)} has RLE counts {_clip(s)} that {_RLE_REASONS[status]}")
    cnts = cnts[: start[n]]
    area = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    rle_summaries(cnts, start, area, first, last)
    return Masks(cnts, start, area, first, last)


def _clip(s: str, n: int = 24) -> str:
    return repr(s if len(s) <= n else s[:n] + "...")


def gt_masks(gt: GroundTruth) -> Masks:
    segs = _column(gt.annotations, "segmentation", gt.path, "annotation")
    strings = []
    for i, seg in enumerate(segs):
        k = gt.ann_image[i]
        if isinstance(seg, dict) and isinstance(seg.get("counts"), str) and seg.get("size") == [gt.heights[k], gt.widths[k]]:
            strings.append(seg["counts"])
        else:
            strings.append(_segmentation_string(seg, int(gt.heights[k]), int(gt.widths[k]), gt.path,
                                                f"annotation #{i} (id {gt.ann_id[i]})"))
    pixels = (gt.heights * gt.widths)[gt.ann_image]
    return decode_masks(strings, pixels, gt.path, lambda i: f"annotation #{i} (id {gt.ann_id[i]})")


def dt_masks(dt: Detections, gt: GroundTruth, hw: np.ndarray | None = None) -> Masks:
    """The results' masks at their images' sizes (``hw``: other sizes, see :func:`result_mask_sizes`)."""
    path = dt.path
    segs = _column(dt.results, "segmentation", path, "result")
    n = len(segs)
    if hw is None:
        hw = np.stack([gt.heights[dt.image], gt.widths[dt.image]], axis=1) if n else np.zeros((0, 2), np.int64)

    def who(i):
        return f"result #{i} (image_id {gt.image_ids[dt.image[i]]})"

    try:
        strings = [s["counts"] for s in segs]
        sizes = np.array([s["size"] for s in segs], dtype=np.int64)
        fast = all(type(s) is str for s in strings) and sizes.shape == (n, 2)
    except (TypeError, KeyError, ValueError, IndexError):
        fast = False
    if fast:
        bad = np.flatnonzero((sizes != hw).any(axis=1))
        if len(bad):
            i = int(bad[0])
            raise FormatError(f"{path}: {who(i)} has RLE size {sizes[i].tolist()} but the image is "
                              f"{hw[i, 0]}x{hw[i, 1]}; expected [{hw[i, 0]}, {hw[i, 1]}]")
    else:
        strings = [_segmentation_string(s, int(hw[i, 0]), int(hw[i, 1]), path, who(i)) for i, s in enumerate(segs)]
    return decode_masks(strings, hw[:, 0] * hw[:, 1], path, who)


def result_mask_sizes(dt: Detections, gt: GroundTruth) -> np.ndarray:
    """Box evaluation: pycocotools reads a result mask's area and box (``toBbox``) from the RLE
    alone, at its own ``size``, whatever the image's size (or none in the ground truth). So a
    compressed RLE is decoded at its own size; other segmentations at the image's."""
    n = len(dt.results)
    hw = np.stack([gt.heights[dt.image], gt.widths[dt.image]], axis=1) if n else np.zeros((0, 2), np.int64)
    for i, r in enumerate(dt.results):
        seg = r.get("segmentation") if isinstance(r, dict) else None
        if not (isinstance(seg, dict) and isinstance(seg.get("counts"), str)):
            continue
        size = seg.get("size")
        if isinstance(size, list) and len(size) == 2 and all(type(v) is int and v > 0 for v in size):
            hw[i] = size
    return hw


def zero_run_masks(masks: Masks) -> np.ndarray:
    """Masks whose run lengths hold a 0 after the first count (non-canonical RLE, e.g. written by
    an encoder that splits runs): the ones where pycocotools' IoU walk can stop early."""
    n = len(masks.start) - 1
    out = np.zeros(n, bool)
    z = np.flatnonzero(masks.cnts == 0)
    if len(z):
        owner = np.searchsorted(masks.start, z, "right") - 1
        out[owner[z != masks.start[owner]]] = True
    return out


def detection_areas(dt: Detections, masks: Masks | None, path) -> np.ndarray:
    """pycocotools ``loadRes``: if the *first* result has a non-empty ``bbox``, every result's area is
    its bbox ``w * h``; otherwise the mask area. A later result without a bbox falls back to its
    mask area (pycocotools would crash)."""
    res = dt.results
    if not res:
        return np.zeros(0)
    first = res[0].get("bbox") if isinstance(res[0], dict) else None
    if "bbox" in res[0] and first != []:
        boxes = [r.get("bbox") for r in res]
        if all(b is not None for b in boxes):
            arr = _boxes(boxes, path, "result", [r.get("image_id") for r in res])
            return arr[:, 2] * arr[:, 3]
        area = np.empty(len(res))
        for i, b in enumerate(boxes):
            if b is None:
                if masks is None:
                    raise FormatError(f"{path}: result #{i} has neither bbox nor segmentation")
                area[i] = masks.area[i]
            else:
                bb = _boxes([b], path, "result", [res[i].get("image_id")])[0]
                area[i] = bb[2] * bb[3]
        return area
    if masks is None:
        raise FormatError(f"{path}: result #0 has no bbox; bbox evaluation needs a 'bbox' on every result")
    return masks.area.astype(np.float64)


# ------------------------------------------------------------------ evaluation


@dataclass
class Blocks:
    keys: np.ndarray
    gt0: np.ndarray
    ngt: np.ndarray
    dt0: np.ndarray
    ndt: np.ndarray  # kept detections (<= max maxDets)
    out0: np.ndarray
    iou_off: np.ndarray
    num_pairs: int


def make_blocks(gt: GroundTruth, dt: Detections, max_det: int):
    """Group by (category, image): returns (blocks, gt order, dt order) with detections sorted by
    descending score, stable in file order, within each block."""
    I = len(gt.image_ids)
    gkey = gt.ann_category * I + gt.ann_image
    gorder = np.argsort(gkey, kind="stable")
    gkey_s = gkey[gorder]
    dkey = dt.category * I + dt.image
    o1 = np.argsort(-dt.score, kind="stable")
    dorder = o1[np.argsort(dkey[o1], kind="stable")]
    dkey_s = dkey[dorder]
    keys = np.union1d(gkey_s, dkey_s)
    gt0 = np.searchsorted(gkey_s, keys, "left")
    ngt = np.searchsorted(gkey_s, keys, "right") - gt0
    dt0 = np.searchsorted(dkey_s, keys, "left")
    ndt_all = np.searchsorted(dkey_s, keys, "right") - dt0
    ndt = np.minimum(ndt_all, max_det)
    out0 = np.zeros(len(keys), np.int64)
    pairs = ndt * ngt
    iou_off = np.zeros(len(keys), np.int64)
    if len(keys):
        np.cumsum(ndt[:-1], out=out0[1:])
        np.cumsum(pairs[:-1], out=iou_off[1:])
    blocks = Blocks(keys, gt0.astype(np.int64), ngt.astype(np.int64), dt0.astype(np.int64), ndt.astype(np.int64),
                    out0, iou_off, int(pairs.sum()))
    return blocks, gorder, dorder


def _chunks(work: np.ndarray, jobs: int) -> list[tuple[int, int]]:
    """Split blocks into ``jobs`` contiguous ranges of about equal ``work``."""
    n = len(work)
    if jobs <= 1 or n < 2:
        return [(0, n)]
    cum = np.cumsum(work)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, jobs) / jobs)
    bounds = [0] + sorted(set(int(c) for c in cuts if 0 < c < n)) + [n]
    return list(zip(bounds[:-1], bounds[1:]))


def _run_chunks(fn, chunks):
    if len(chunks) == 1:
        fn(*chunks[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(chunks)) as pool:
        for f in [pool.submit(fn, a, b) for a, b in chunks]:
            f.result()


def evaluate_instance(gt_path, pred_path, *, iou_type: str = "segm", max_dets=(1, 10, 100), area_ranges=None,
                      jobs: int = 1) -> InstanceEvaluation:
    """Evaluate a COCO results file against a COCO instances file, as pycocotools' COCOeval does.

    ``jobs``: threads for IoU and matching (0 = all cores; default 1, see ``PARALLEL_MIN_WORK``).
    Returns the mergeable statistics and wall times per stage.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    params = make_params(iou_type, max_dets, area_ranges)
    t = time.perf_counter()
    _start_numba()
    timings["Numba start-up (target init)"] = time.perf_counter() - t
    t = time.perf_counter()
    gt = load_ground_truth(gt_path, iou_type)
    timings["parse ground-truth JSON"] = time.perf_counter() - t
    dt = load_results(pred_path, gt, iou_type, timings)
    stats = evaluate_loaded(gt, dt, params, jobs, timings, release=True)
    seconds = time.perf_counter() - t_start
    return InstanceEvaluation(stats, seconds, timings, str(gt_path), str(pred_path))


def _start_numba() -> None:
    """Initialise numba's CPU target with one tiny cached kernel, so that the stage timings below
    measure work rather than numba's one-off start-up (0.2-0.5 s per process)."""
    from segbench.kernels.coco import _ws

    _ws(np.zeros(1, np.uint8), 0)


MAX_DETS_LIMIT = 2**31 - 1  # detections per image are counted in int32 or wider; more means "all"


def make_params(iou_type: str, max_dets, area_ranges) -> InstanceParams:
    from segbench.metrics.instance import DEFAULT_AREA_RANGES

    if iou_type not in IOU_TYPES:
        raise InputError(f"--iou-type {iou_type!r}: expected one of {', '.join(IOU_TYPES)}")
    md = tuple(int(m) for m in max_dets)
    if not md or any(not 1 <= m <= MAX_DETS_LIMIT for m in md) or len(set(md)) != len(md):
        raise InputError(f"--max-dets {','.join(map(str, md))}: expected distinct positive integers up to "
                         f"{MAX_DETS_LIMIT}, e.g. 1,10,100")
    ranges = tuple(area_ranges) if area_ranges else DEFAULT_AREA_RANGES
    labels = [r[0] for r in ranges]
    if "all" not in labels or len(set(labels)) != len(labels):
        raise InputError(f"--area-ranges {labels}: expected distinct names including 'all'")
    for name, lo, hi in ranges:
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise InputError(f"--area-ranges {name}={lo}:{hi}: expected numbers with low <= high")
    return InstanceParams(iou_type, md, ranges)


def evaluate_loaded(gt: GroundTruth, dt: Detections, params: InstanceParams, jobs: int = 1,
                    timings: dict | None = None, release: bool = False) -> InstanceStats:
    """Match ``dt`` against ``gt`` (both validated) -> :class:`InstanceStats`.

    ``release=True`` drops the parsed JSON objects (``gt.annotations``, ``dt.results``) as soon
    as their masks, boxes and areas are extracted, to lower peak memory.
    """
    from segbench.engine.parallel import default_jobs
    from segbench.kernels.coco import (box_iou_blocks, mask_iou_blocks, match_blocks, rle_to_bbox,
                                      zero_run_iou_blocks)

    timings = {} if timings is None else timings
    max_det = params.max_dets[-1]
    t = time.perf_counter()
    blocks, gorder, dorder = make_blocks(gt, dt, max_det)
    timings["group by image and category"] = time.perf_counter() - t

    t = time.perf_counter()
    gmask = dmask = None
    if params.iou_type == "segm":
        gmask = gt_masks(gt)
        dmask = dt.masks if dt.masks is not None else dt_masks(dt, gt) if len(dt.score) else None
    elif dt.masks is not None:
        dmask = dt.masks
        dmask_hw = np.stack([gt.heights[dt.image], gt.widths[dt.image]], axis=1)
    elif dt.results and any(not isinstance(r, dict) or not r.get("bbox") for r in dt.results):
        dmask_hw = result_mask_sizes(dt, gt)
        dmask = dt_masks(dt, gt, dmask_hw)
    dt_area = dt.area if dt.masks is not None else detection_areas(dt, dmask, dt.path)
    gbox = dbox = None
    if params.iou_type == "bbox" and len(gorder) and len(dt.score):
        gbox = _boxes(_column(gt.annotations, "bbox", gt.path, "annotation"), gt.path, "annotation", gt.ann_id)
        dboxes = [r.get("bbox") or None for r in dt.results]
        dbox = np.zeros((len(dboxes), 4))
        have = np.array([b is not None for b in dboxes])
        if have.any():
            idx = np.flatnonzero(have)
            dbox[idx] = _boxes([dboxes[i] for i in idx], dt.path, "result", [dt.results[i].get("image_id") for i in idx])
        if not have.all():  # pycocotools loadRes: bbox = toBbox(segmentation)
            idx = np.flatnonzero(~have)
            mb = np.zeros((len(dt.score), 4))
            rle_to_bbox(dmask.cnts, dmask.start, dmask_hw[:, 0], dmask_hw[:, 1], mb)
            dbox[idx] = mb[idx]
    label = "decode RLE (ground truth)" if dt.masks is not None else "decode RLE"
    if release:
        gt.annotations, dt.results, dt.masks = [], [], None
    timings[label] = time.perf_counter() - t

    ious = np.empty(blocks.num_pairs, np.float64)
    B = len(blocks.keys)
    jobs = default_jobs() if jobs < 1 else jobs
    work = blocks.ndt * blocks.ngt + blocks.ndt + 1
    chunks = _chunks(work, jobs if work.sum() >= PARALLEL_MIN_WORK else 1)
    t = time.perf_counter()
    g_crowd = gt.ann_crowd[gorder]
    if params.iou_type == "segm" and len(gorder) and dmask is not None:
        d0 = dmask.start[:-1][dorder]
        d1 = dmask.start[1:][dorder]
        g0 = gmask.start[:-1][gorder]
        g1 = gmask.start[1:][gorder]
        args = (dmask.cnts, d0, d1, dmask.area[dorder], dmask.first[dorder], dmask.last[dorder],
                gmask.cnts, g0, g1, gmask.area[gorder], gmask.first[gorder], gmask.last[gorder], g_crowd,
                blocks.dt0, blocks.ndt, blocks.gt0, blocks.ngt, blocks.iou_off, ious)
        _run_chunks(lambda a, b: mask_iou_blocks(*args, a, b), chunks)
        dzero, gzero = zero_run_masks(dmask), zero_run_masks(gmask)
        if dzero.any() or gzero.any():  # non-canonical RLE: pycocotools' walk may stop early
            zargs = (dmask.cnts, d0, d1, dmask.area[dorder], dzero[dorder], gmask.cnts, g0, g1, gzero[gorder], g_crowd,
                     blocks.dt0, blocks.ndt, blocks.gt0, blocks.ngt, blocks.iou_off, ious)
            _run_chunks(lambda a, b: zero_run_iou_blocks(*zargs, a, b), chunks)
    elif gbox is not None:
        args = (np.ascontiguousarray(dbox[dorder]), np.ascontiguousarray(gbox[gorder]), g_crowd,
                blocks.dt0, blocks.ndt, blocks.gt0, blocks.ngt, blocks.iou_off, ious)
        _run_chunks(lambda a, b: box_iou_blocks(*args, a, b), chunks)
    timings["mask IoU" if params.iou_type == "segm" else "box IoU"] = time.perf_counter() - t
    gmask = dmask = None

    t = time.perf_counter()
    A, T = len(params.area_ranges), len(iou_thresholds())
    n_out = int(blocks.ndt.sum())
    codes = np.empty((n_out, A, T), np.uint8)
    npig = np.zeros((B, A), np.int64)
    margs = (ious, blocks.iou_off, blocks.dt0, blocks.ndt, blocks.gt0, blocks.ngt, blocks.out0,
             gt.ann_area[gorder], g_crowd, gt.ann_id[gorder] != 0, dt_area[dorder], params.area_array,
             iou_thresholds(), codes, npig)
    _run_chunks(lambda a, b: match_blocks(*margs, a, b), chunks)
    timings["matching"] = time.perf_counter() - t

    I = len(gt.image_ids)
    kept_scores = dt.score[dorder][_kept_positions(blocks)] if n_out else np.zeros(0)
    return InstanceStats(
        params=params,
        category_ids=gt.category_ids,
        category_names=gt.category_names,
        image_ids=gt.image_ids,
        block_image=gt.image_ids[blocks.keys % I],
        block_category=gt.category_ids[blocks.keys // I],
        block_num_dt=blocks.ndt,
        block_npig=npig,
        dt_score=kept_scores,
        dt_code=codes,
    )


def _kept_positions(blocks: Blocks) -> np.ndarray:
    """Positions (in score-sorted detection order) of the detections kept by maxDets."""
    total = int(blocks.ndt.sum())
    return np.repeat(blocks.dt0, blocks.ndt) + (np.arange(total) - np.repeat(blocks.out0, blocks.ndt))


# ------------------------------------------------------------------ records and curves


def instance_record(evaluation: InstanceEvaluation | InstanceStats, *, fix_maxdets: bool = False,
                    dataset: str | None = None, model: str | None = None, meta: dict | None = None,
                    result=None) -> dict:
    """The result record (DESIGN.md) of a COCO instance evaluation: the summary numbers
    (``null`` where pycocotools reports -1), per-class AP rows and the parameters used."""
    from segbench.metrics.instance import compute
    from segbench.record import make_record

    stats = evaluation.stats if isinstance(evaluation, InstanceEvaluation) else evaluation
    timings = dict(evaluation.timings) if isinstance(evaluation, InstanceEvaluation) else {}
    seconds = evaluation.seconds if isinstance(evaluation, InstanceEvaluation) else 0.0
    if result is None:
        t = time.perf_counter()
        result = compute(stats, fix_maxdets)
        timings["accumulate + summarize"] = time.perf_counter() - t
        seconds += timings["accumulate + summarize"]
    params = {**stats.params.as_dict(), "fix_maxdets": bool(fix_maxdets), "convention": "pycocotools"}
    if isinstance(evaluation, InstanceEvaluation):
        dataset = dataset or evaluation.gt_path
        params["predictions"] = evaluation.pred_path
    return make_record(
        "instance", result.metrics, result.per_class, dataset=dataset, model=model,
        convention="fix-maxdets" if fix_maxdets else "default",
        num_images=stats.num_images, seconds=seconds,
        meta={"num_detections": stats.num_detections, "num_categories": len(stats.category_ids),
              "timings": {k: round(v, 4) for k, v in timings.items()}, **(meta or {})},
        extra={"params": params, "pr": pr_payload(result.precision, stats.params)},
    )


def pr_payload(precision: np.ndarray, params) -> dict:
    """COCO precision-recall curves for plots: per IoU threshold, area "all" (the first area
    range), the largest maxDets, averaged over the categories that have a value (> -1); None
    where no category has one. ``record["pr"]`` = {iou_thresholds, recall, precision[T][R]}."""
    from segbench.metrics.instance import iou_thresholds, recall_thresholds

    p = precision[:, :, :, 0, -1]  # (T, R, K)
    valid = p > -1
    count = valid.sum(axis=2)
    mean = np.where(count > 0, np.where(valid, p, 0.0).sum(axis=2) / np.maximum(count, 1), np.nan)
    return {"iou_thresholds": iou_thresholds(), "recall": recall_thresholds(), "precision": mean}


def pr_curves_csv(result, stats: InstanceStats) -> str:
    """Precision at the 101 recall thresholds per category and IoU threshold (area "all", the
    largest maxDets), plus the category mean (``category_id`` empty); undefined precision is empty."""
    import csv
    import io

    from segbench.metrics.instance import iou_thresholds, recall_thresholds

    thrs, rec = iou_thresholds(), recall_thresholds()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["category_id", "category", "iou_threshold", "recall", "precision"])
    P = result.precision[:, :, :, 0, -1]  # (T, R, K)
    for k, (cid, name) in enumerate(zip(stats.category_ids, stats.category_names)):
        if (P[:, :, k] <= -1).all():
            continue
        for t, thr in enumerate(thrs):
            for r, rv in enumerate(rec):
                w.writerow([int(cid), name, f"{thr:.2f}", f"{rv:.2f}", repr(float(P[t, r, k]))])
    for t, thr in enumerate(thrs):
        for r, rv in enumerate(rec):
            v = P[t, r][P[t, r] > -1]
            w.writerow(["", "mean", f"{thr:.2f}", f"{rv:.2f}", repr(float(v.mean())) if v.size else ""])
    return buf.getvalue()
