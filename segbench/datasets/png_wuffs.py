"""PNG decoding with Wuffs (the optional ``pywuffs`` bindings, extra ``fast``).

Wuffs' PNG decoder measured 2.3-3.3x faster than OpenCV/libpng and Pillow on 1024x2048 label maps
here (2.2-3.5 vs 7-9 ms per image, one thread) and releases the GIL, so decode threads scale; see
``benchmarks/bench_semantic.py``. It is used only where its output is byte-exact by construction:

- 8-bit greyscale -> pixel format ``Y`` (labels);
- 16-bit greyscale -> ``Y_16LE`` (``Y_16BE`` on big-endian machines: native uint16 labels);
- 8-bit RGB -> ``RGB`` and 8-bit RGBA -> ``RGBA_NONPREMUL`` (panoptic segment ids);

and only for files with no ``tRNS`` chunk (Wuffs would turn a transparent key colour into
alpha and then compose it away). Anything else (palette and low-bit-depth PNGs, 16-bit colour)
returns ``None`` and the caller falls back to OpenCV or Pillow. So does any file Wuffs
reports an error for (truncated, corrupt): the fallback decoder then either names the problem
in the error or, where it is lenient (a bad ancillary CRC, which Pillow also accepts), decodes it.
"""

from __future__ import annotations

import struct
import sys
import threading

import numpy as np

try:
    from pywuffs import ImageDecoderType, PixelFormat
    from pywuffs.aux import ImageDecoder, ImageDecoderConfig
except ImportError:  # the ``fast`` extra is not installed: OpenCV/Pillow do the work
    AVAILABLE = False
else:
    AVAILABLE = True

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (colour type, bit depth) -> (Wuffs pixel format name, channels, dtype of the result)
_FORMATS = {
    (0, 8): ("Y", 1, np.uint8),
    (0, 16): ("Y_16LE" if sys.byteorder == "little" else "Y_16BE", 1, np.uint16),
    (2, 8): ("RGB", 3, np.uint8),
    (6, 8): ("RGBA_NONPREMUL", 4, np.uint8),
}
_local = threading.local()


def parse_png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """``(width, height, bit_depth, color_type)`` from the IHDR chunk, or None if not a PNG."""
    if len(data) < 29 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, bit_depth, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, bit_depth, color_type


def _has_transparency_chunk(data: bytes) -> bool:
    """Whether a ``tRNS`` chunk precedes the first ``IDAT`` (where the PNG spec puts it)."""
    pos = 8
    end = len(data)
    while pos + 8 <= end:
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False


def _decoder(pixel_format: str):
    decoders = getattr(_local, "decoders", None)
    if decoders is None:
        decoders = _local.decoders = {}
    decoder = decoders.get(pixel_format)
    if decoder is None:  # Wuffs decoders are not thread-safe: one per thread and format
        config = ImageDecoderConfig()
        config.enabled_decoders = [ImageDecoderType.PNG]
        config.pixel_format = getattr(PixelFormat, pixel_format)
        decoder = decoders[pixel_format] = ImageDecoder(config)
    return decoder


def decode_png(data: bytes, header: tuple[int, int, int, int] | None = None) -> np.ndarray | None:
    """Decode PNG bytes: ``(H, W)`` for greyscale, ``(H, W, 3|4)`` RGB(A) in R, G, B(, A) order.

    None when Wuffs is not installed, the format is not one it reproduces exactly (see the
    module docstring), or the file does not decode cleanly; the caller then falls back.
    """
    if not AVAILABLE:
        return None
    header = header or parse_png_header(data)
    if header is None:
        return None
    width, height, bit_depth, color_type = header
    layout = _FORMATS.get((color_type, bit_depth))
    if layout is None or width == 0 or height == 0 or _has_transparency_chunk(data):
        return None
    pixel_format, channels, dtype = layout
    result = _decoder(pixel_format).decode(data)
    if result.error_message:  # also set on partial decodes (truncated data): never accept those
        return None
    pixels = result.pixbuf
    if pixels.size != height * width * channels * np.dtype(dtype).itemsize:
        return None
    if channels == 1:
        return pixels.reshape(height, width * np.dtype(dtype).itemsize).view(dtype)
    return pixels.reshape(height, width, channels)
