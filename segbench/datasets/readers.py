"""Label-map readers: PNG (8-bit L, 16-bit I;16, palette P) and ``.npy`` -> 2-D integer arrays.

Palette PNGs yield their palette indices (the labels, as in Pascal VOC), never colours. RGB(A)
and grey+alpha PNGs are refused with a hint: colour-coded predictions are converted by a dataset
adapter's colour table, not guessed here. Decoders, fastest first (see benchmarks/): Wuffs for
8/16-bit greyscale PNGs when the ``fast`` extra (pywuffs) is installed (``png_wuffs``), else
OpenCV; Pillow for palette and low-bit-depth PNGs and to name what is wrong with a broken file.
All release the GIL, so threads decode in parallel.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from segbench.datasets import png_wuffs
from segbench.errors import FormatError
from segbench.fileio import read_file_bytes

LABEL_EXTENSIONS = (".png", ".npy")
PNG_COLOR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"}


def _header_of(path: str | os.PathLike, data: bytes) -> tuple[int, int, int, int]:
    header = png_wuffs.parse_png_header(data)
    if header is None:
        raise FormatError(f"{path}: not a PNG file (bad signature or header)")
    return header


def png_header(path: str | os.PathLike) -> tuple[int, int, int, int]:
    """``(width, height, bit_depth, color_type)`` from a PNG's IHDR chunk."""
    return _header_of(path, read_file_bytes(path, "PNG", 29))


def wuffs_decodes(decoder: str) -> bool:
    """Whether ``decoder`` ('auto', 'wuffs', 'opencv', 'pillow') tries Wuffs first: only where the
    ``fast`` extra is installed."""
    return png_wuffs.AVAILABLE and decoder in ("auto", "wuffs")


def read_png_fast(path: str | os.PathLike, decoder: str = "auto") -> tuple[tuple[int, int, int, int], np.ndarray | None]:
    """The PNG's header and, where :func:`wuffs_decodes` and Wuffs is exact for the format, its
    pixels (see ``png_wuffs.decode_png``); pixels None means: decode with OpenCV or Pillow."""
    if not wuffs_decodes(decoder):
        return png_header(path), None
    data = read_file_bytes(path, "PNG")
    header = _header_of(path, data)
    return header, png_wuffs.decode_png(data, header)


IMREAD_INTO = [True]  # OpenCV >= 5 decodes into a given buffer; older versions take no ``dst``


def decode_opencv(path: Path, out: np.ndarray | None = None) -> np.ndarray | None:
    """cv2.imread(IMREAD_UNCHANGED); into ``out`` where given and supported (recycled buffers save
    the page faults of fresh memory, about a quarter of decode time on large label maps). None
    where OpenCV cannot decode the file (Pillow then names the problem)."""
    import cv2

    if out is not None and IMREAD_INTO[0]:
        try:
            array = cv2.imread(str(path), out, cv2.IMREAD_UNCHANGED)
        except TypeError:  # this OpenCV has no dst overload
            IMREAD_INTO[0] = False
        except cv2.error:
            return None  # Pillow then names the problem
        else:
            return array if array is not None and array.size else None
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def decode_pillow(path: Path) -> np.ndarray:
    """Pillow's decode; a broken file is a one-line FormatError.

    1-bit images give labels 0/1 as uint8 (what ``np.array(Image.open(f))`` gives the official
    evaluators, as bool), not the 0/255 of ``convert('L')`` or OpenCV. (2- and 4-bit greyscale
    label maps are refused by :func:`read_label_png`: Pillow and OpenCV scale them to 0..255.)
    """
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode == "1":
                return np.asarray(im).astype(np.uint8)
            return np.asarray(im)
    except OSError as exc:
        raise FormatError(f"{path}: unreadable or truncated PNG ({exc})") from None


def label_png_layout(path: str | os.PathLike) -> tuple[tuple[int, int], np.dtype] | None:
    """``((H, W), dtype)`` a greyscale label PNG decodes to, or None (palette, colour, ...)."""
    width, height, bit_depth, color_type = png_header(path)
    if color_type == 0 and bit_depth in (8, 16):
        return (height, width), np.dtype(np.uint8 if bit_depth == 8 else np.uint16)
    return None


def read_label_png(path: str | os.PathLike, decoder: str = "auto", out: np.ndarray | None = None) -> np.ndarray:
    """Decode a single-channel label PNG to a 2-D uint8/uint16 array of labels.

    ``decoder``: 'auto' (Wuffs where installed and exact, else OpenCV for greyscale, Pillow for
    palette), 'wuffs' (the same), 'opencv' or 'pillow'.
    ``out``: an optional buffer of the decoded shape and dtype to decode into (OpenCV path only);
    the result may or may not be ``out``.
    """
    path = Path(path)
    (width, height, bit_depth, color_type), array = read_png_fast(path, decoder)
    if color_type in (2, 4, 6):
        raise FormatError(
            f"{path}: is a {PNG_COLOR_TYPES[color_type]} PNG, expected a single-channel label map "
            f"(8-bit L, 16-bit I;16 or palette P); convert it, e.g. with "
            f"Image.open(f).convert('L'), or pass --dataset with a colour table"
        )
    if color_type not in (0, 3):
        raise FormatError(f"{path}: PNG colour type {color_type} is not valid")
    if color_type == 0 and bit_depth in (2, 4):
        top = 2**bit_depth - 1
        raise FormatError(f"{path}: is a {bit_depth}-bit greyscale PNG, whose labels 0..{top} Pillow and OpenCV "
                          f"scale to 0..255 ({top} -> 255); expected an 8-bit (L) or 16-bit label map, or a palette PNG")
    # OpenCV only for 8/16-bit greyscale: it reads a 1-bit map as 0/255 (see decode_pillow).
    use_opencv = decoder in ("opencv", "auto", "wuffs") and bit_depth in (8, 16)
    if array is None and use_opencv and color_type == 0:
        array = decode_opencv(path, out)  # None: Pillow then names what is wrong (truncated, ...)
    if array is None:
        array = decode_pillow(path)
    if array.ndim != 2 or array.shape != (height, width):
        raise FormatError(f"{path}: decoded to shape {array.shape}, expected a {height}x{width} label map")
    if array.dtype == np.int32:  # Pillow's mode I for 16-bit images on some versions
        array = array.astype(np.uint16 if bit_depth == 16 else np.int64)
    return array


def read_label_npy(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError) as exc:
        raise FormatError(f"{path}: unreadable .npy file ({exc})") from None
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise FormatError(f"{path}: array of shape {array.shape}, expected a 2-D label map (H, W)")
    if array.dtype.kind not in "ui":
        if array.dtype.kind == "b":
            return array.astype(np.uint8)
        raise FormatError(f"{path}: dtype {array.dtype}, expected integer class labels")
    if not array.dtype.isnative:  # big-endian files: the kernels read native integers
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def read_label_map(path: str | os.PathLike, decoder: str = "auto", out: np.ndarray | None = None) -> np.ndarray:
    """Read a label map from ``.png`` or ``.npy`` (by extension); ``out`` as in :func:`read_label_png`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return read_label_png(path, decoder, out)
    if suffix == ".npy":
        return read_label_npy(path)
    raise FormatError(f"{path}: unsupported label-map extension {suffix!r}; expected .png or .npy")


def read_rgb_png(path: str | os.PathLike) -> np.ndarray:
    """Decode a PNG to an ``(H, W, 3)`` uint8 RGB array (colour-coded maps, panoptic id maps)."""
    from PIL import Image

    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode != "RGB":
                im = im.convert("RGB")
            return np.asarray(im)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{path}: unreadable or truncated image ({exc})") from None
