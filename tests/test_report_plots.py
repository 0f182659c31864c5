"""``segbench plot``: non-empty images of the expected size; bad input exits 2."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from _report_records import instance, panoptic, semantic
from segbench.cli.main import app
from segbench.report.plots import pr_curves

pytest.importorskip("matplotlib")


def plot(*args):
    return CliRunner().invoke(app, ["plot", *map(str, args)])


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    d = tmp_path_factory.mktemp("plots")
    out = {}
    for name, rec in {"sem": semantic("unet", 1, 0.7), "inst": instance("mrcnn", 0.4), "pan": panoptic("pfpn", 2)}.items():
        (d / f"{name}.json").write_text(json.dumps(rec))
        out[name] = d / f"{name}.json"
    return out


@pytest.mark.parametrize("name, kind, size", [
    ("sem", "per-class", (1000, 600)), ("sem", "confusion", (1000, 900)), ("inst", "pr", (900, 700)),
    ("inst", "per-class", (1000, 600)), ("pan", "per-class", (1000, 600)), ("sem", "confusion", (640, 480)),
])
def test_png_has_expected_size(records, tmp_path, name, kind, size):
    from PIL import Image

    out = tmp_path / f"{name}-{kind}.png"
    args = [records[name], "--kind", kind, "--out", out]
    if size == (640, 480):
        args += ["--size", "640x480"]
    res = plot(*args)
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert im.size == size
        pixels = np.asarray(im.convert("L"))
    assert pixels.std() > 10  # not a blank canvas


def test_svg(records, tmp_path):
    out = tmp_path / "pc.svg"
    assert plot(records["sem"], "--kind", "per-class", "--out", out).exit_code == 0
    text = out.read_text()
    assert text.lstrip().startswith("<?xml") and 'width="720pt"' in text and 'height="432pt"' in text
    assert "<svg" in text and len(text) > 5000


def test_pr_curves_layout():
    thr, recall, precision = pr_curves(instance("m", 0.4))
    assert thr.shape == (10,) and recall.shape == (101,) and precision.shape == (10, 101)


@pytest.mark.parametrize("name, args, message", [
    ("sem", ["--kind", "pr"], "instance record"),
    ("inst", ["--kind", "confusion"], "semantic record"),
    ("sem", ["--kind", "per-class", "--size", "huge"], "--size"),
    ("sem", ["--kind", "nope"], "nope"),
])
def test_bad_input_exits_2(records, tmp_path, name, args, message):
    out = tmp_path / "x.png"
    res = plot(records[name], *args, "--out", out)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


def test_bad_extension(records, tmp_path):
    res = plot(records["sem"], "--kind", "per-class", "--out", tmp_path / "x.jpg")
    assert res.exit_code == 2 and ".png or .svg" in res.output
