"""``segbench synth --tasks panoptic``: COCO-panoptic layout, ids, crowd and VOID, then evaluable."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from segbench.cli.main import app


def test_synth_panoptic_layout_and_content(tmp_path):
    out = tmp_path / "s"
    res = CliRunner().invoke(app, ["synth", str(out), "--images", "24", "--size", "48x64", "--classes", "5",
                                   "--tasks", "panoptic", "--seed", "1"])
    assert res.exit_code == 0, res.output
    root = out / "panoptic"
    gt, pred = json.loads((root / "gt.json").read_text()), json.loads((root / "pred.json").read_text())
    assert [c["isthing"] for c in gt["categories"]] == [0, 0, 1, 1, 1]  # background, ground; shapes
    assert len(gt["annotations"]) == len(pred["annotations"]) == 24
    crowd = void = 0
    for kind, data in (("gt", gt), ("pred", pred)):
        for a in data["annotations"]:
            rgb = np.asarray(Image.open(root / kind / a["file_name"]))
            assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
            c = rgb.astype(np.int64)
            ids = c[..., 0] + 256 * c[..., 1] + 65536 * c[..., 2]
            present, counts = np.unique(ids, return_counts=True)
            area = dict(zip(present.tolist(), counts.tolist()))
            listed = {s["id"]: s for s in a["segments_info"]}
            assert set(area) - {0} == set(listed)
            assert all(area[i] == s["area"] for i, s in listed.items())
            if kind == "gt":
                void += area.get(0, 0)
                crowd += sum(s["iscrowd"] for s in a["segments_info"])
                assert any(s["id"] > 65535 for s in a["segments_info"])  # ids use all three channels
    assert void > 0 and crowd > 0
    res = CliRunner().invoke(app, ["eval", "panoptic", "--gt", str(root / "gt.json"), "--gt-dir", str(root / "gt"),
                                   "--pred", str(root / "pred.json"), "--pred-dir", str(root / "pred"),
                                   "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    assert 0.3 < json.loads(res.stdout)["metrics"]["PQ"] < 1.0
