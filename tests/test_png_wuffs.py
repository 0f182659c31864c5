"""The Wuffs PNG path (extra ``fast``): byte-exact against Pillow where used, refused where not."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from segbench.datasets import png_wuffs
from segbench.datasets.panoptic_io import read_panoptic_png
from segbench.datasets.readers import read_label_png
from segbench.errors import FormatError

pytestmark = pytest.mark.skipif(not png_wuffs.AVAILABLE, reason="pywuffs (extra 'fast') is not installed")


def png_bytes(array: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", **save)
    return buf.getvalue()


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def insert_before_idat(data: bytes, extra: bytes) -> bytes:
    at = data.index(b"IDAT") - 4
    return data[:at] + extra + data[at:]


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), seed=st.integers(0, 2**31 - 1),
       kind=st.sampled_from(["L", "I;16", "RGB", "RGBA"]), optimize=st.booleans())
def test_decodes_exactly_what_pillow_decodes(h, w, seed, kind, optimize):
    rng = np.random.default_rng(seed)
    if kind == "L":
        array = rng.integers(0, 256, (h, w), dtype=np.uint8)
    elif kind == "I;16":
        array = rng.integers(0, 65536, (h, w), dtype=np.uint16)
    else:
        array = rng.integers(0, 256, (h, w, len(kind)), dtype=np.uint8)
    data = png_bytes(array, optimize=optimize)
    decoded = png_wuffs.decode_png(data)
    assert decoded is not None
    expected = np.asarray(Image.open(io.BytesIO(data)))
    assert decoded.dtype == (np.uint16 if kind == "I;16" else np.uint8)
    np.testing.assert_array_equal(decoded, expected.astype(decoded.dtype))


def test_formats_it_does_not_reproduce_exactly_are_left_to_the_fallback():
    labels = (np.arange(48, dtype=np.uint8).reshape(6, 8) % 5)
    palette = io.BytesIO()
    im = Image.fromarray(labels, mode="L").convert("P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9] + [0] * 753)
    im.save(palette, format="PNG")
    assert png_wuffs.decode_png(palette.getvalue()) is None  # palette indices: Pillow keeps them
    one_bit = io.BytesIO()
    Image.fromarray(labels > 2).save(one_bit, format="PNG")
    assert png_wuffs.decode_png(one_bit.getvalue()) is None  # 1-bit: Wuffs would scale to 0/255
    grey_key = insert_before_idat(png_bytes(labels), chunk(b"tRNS", struct.pack(">H", 3)))
    assert png_wuffs.decode_png(grey_key) is None  # a transparent key colour
    assert png_wuffs.decode_png(b"GIF89a" + bytes(40)) is None


def test_broken_files_fall_back_and_get_the_usual_error(tmp_path):
    labels = np.random.default_rng(3).integers(0, 19, (64, 96), dtype=np.uint8)
    data = png_bytes(labels)
    assert png_wuffs.decode_png(data[: len(data) // 2]) is None  # truncated: Wuffs decodes a part
    corrupt = bytearray(data)
    corrupt[data.index(b"IDAT") + 12] ^= 0xFF
    assert png_wuffs.decode_png(bytes(corrupt)) is None
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"t\.png: unreadable or truncated PNG"):
        read_label_png(tmp_path / "t.png")


def test_label_reader_uses_it_and_agrees_with_every_other_decoder(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    for name, array in (("u8.png", rng.integers(0, 256, (33, 17), dtype=np.uint8)),
                        ("u16.png", rng.integers(0, 65536, (33, 17), dtype=np.uint16))):
        path = tmp_path / name
        path.write_bytes(png_bytes(array))
        calls = []
        real = png_wuffs.decode_png
        monkeypatch.setattr(png_wuffs, "decode_png", lambda *a: calls.append(1) or real(*a))
        results = [read_label_png(path, decoder) for decoder in ("auto", "wuffs", "opencv", "pillow")]
        assert len(calls) == 2  # auto and wuffs went through Wuffs
        monkeypatch.setattr(png_wuffs, "decode_png", real)
        for result in results:
            assert result.dtype == array.dtype
            np.testing.assert_array_equal(result, array)


def test_panoptic_reader_gives_rgb_order_and_drops_nothing(tmp_path):
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 256, (21, 13, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, rng.integers(0, 256, (21, 13, 1), dtype=np.uint8)], axis=2)
    for name, array in (("rgb.png", rgb), ("rgba.png", rgba)):
        (tmp_path / name).write_bytes(png_bytes(array))
        decoded, order = read_panoptic_png(tmp_path / name, "wuffs")
        assert order == "RGB"
        np.testing.assert_array_equal(decoded, array)  # alpha kept as is: never composed into RGB


def test_engines_give_the_same_statistics_without_the_fast_extra(tmp_path, monkeypatch):
    """With pywuffs missing, 'auto' decodes with OpenCV into recycled buffers: same numbers."""
    from _panoptic_data import random_dataset

    from segbench.datasets.synth_writer import SynthConfig, write_synthetic
    from segbench.engine.panoptic import evaluate_panoptic
    from segbench.engine.semantic import evaluate_semantic_folders

    write_synthetic(SynthConfig(tmp_path / "s", images=5, height=30, width=44, classes=4, seed=1), ("semantic",))
    sem = tmp_path / "s" / "semantic"
    p = random_dataset(tmp_path / "p", 2, n=6)

    def run():
        semantic = evaluate_semantic_folders(sem / "gt", sem / "pred", 4, jobs=2).stats
        panoptic = evaluate_panoptic(p["gt_json"], p["gt_dir"], p["pred_json"], p["pred_dir"], jobs=2).stats
        return semantic, panoptic

    fast_sem, fast_pan = run()
    decoded = []
    real = png_wuffs.decode_png
    monkeypatch.setattr(png_wuffs, "decode_png", lambda *a: decoded.append(1) or real(*a))
    run()
    assert decoded  # Wuffs really did the work above
    decoded.clear()
    monkeypatch.setattr(png_wuffs, "AVAILABLE", False)
    slow_sem, slow_pan = run()
    assert not decoded
    np.testing.assert_array_equal(slow_sem.confusion, fast_sem.confusion)
    for key, value in slow_pan.per_image().items():
        np.testing.assert_array_equal(value, fast_pan.per_image()[key])
