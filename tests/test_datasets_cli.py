"""``segbench datasets`` and ``segbench eval semantic --dataset`` end to end."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from dataset_trees import cityscapes_predictions, make_cityscapes
from segbench.cli.main import app

runner = CliRunner()


def test_datasets_table_lists_every_adapter():
    r = runner.invoke(app, ["datasets", "--format", "markdown"])
    assert r.exit_code == 0, r.output
    for name in ("voc2012", "voc2012-aug", "cityscapes", "ade20k", "coco", "pascal-context", "mapillary-vistas",
                 "nyudv2", "sift-flow", "shapes"):
        assert f"| {name} |" in r.stdout
    assert "| cityscapes | semantic, instance, panoptic | 19 | 255 | train, val, test |" in r.stdout
    data = json.loads(runner.invoke(app, ["datasets", "--format", "json"]).stdout)
    assert {d["name"]: d["classes"] for d in data}["ade20k"] == 150


def test_datasets_show_class_table_with_colours():
    r = runner.invoke(app, ["datasets", "show", "cityscapes", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["classes"]
    assert len(rows) == 19 and rows[0] == {"id": 0, "label_id": 7, "name": "road", "color": [128, 64, 128],
                                           "thing": False, "evaluated": True, "category": "flat"}
    r = runner.invoke(app, ["datasets", "show", "cityscapes", "--all", "--format", "csv"])
    assert "unlabeled" in r.stdout and "#804080" in r.stdout
    r = runner.invoke(app, ["datasets", "show", "vocc"])
    assert r.exit_code == 2 and "did you mean 'voc2012'" in r.output and len(r.output.strip().splitlines()) == 1


def test_eval_semantic_dataset_cityscapes(tmp_path):
    rng = np.random.default_rng(11)
    root = tmp_path / "cityscapes"
    make_cityscapes(root, rng)
    cityscapes_predictions(root, tmp_path / "pred", rng)
    out = tmp_path / "r.json"
    r = runner.invoke(app, ["eval", "semantic", "--dataset", "cityscapes", "--root", str(root), "--split", "val",
                            "--pred", str(tmp_path / "pred"), "--json", str(out), "--format", "markdown", "-q"])
    assert r.exit_code == 0, r.output
    rec = json.loads(out.read_text())
    assert rec["dataset"] == "cityscapes" and rec["convention"] == "cityscapes"
    assert {"miou", "iiou", "cat_miou", "cat_iiou", "pixel_acc"} <= set(rec["metrics"])
    assert "iIoU" in r.stdout and "Per category" in r.stdout
    assert rec["meta"]["split"] == "val" and rec["meta"]["pred_ids"] == "labelIds"


def test_eval_semantic_dataset_errors_are_one_line(tmp_path):
    rng = np.random.default_rng(12)
    root = tmp_path / "cityscapes"
    make_cityscapes(root, rng, cities=(("ulm", 1),))
    (tmp_path / "pred").mkdir()
    cases = [
        (["--dataset", "cityscapes", "--root", str(tmp_path / "nope"), "--split", "val"], "dataset root does not exist"),
        (["--dataset", "cityscapes", "--root", str(tmp_path), "--split", "val"], "expected the Cityscapes gtFine/val folder"),
        (["--dataset", "cityscapes", "--root", str(root), "--split", "val"], "have no prediction"),
        (["--dataset", "cityscapes", "--root", str(root)], "--split is required"),
        (["--dataset", "cityscapes", "--root", str(root), "--split", "val", "--gt", str(root)], "--gt does not go with --dataset"),
        (["--dataset", "cityscapes", "--root", str(root), "--split", "val", "--pred-ids", "ids"], "--pred-ids 'ids'"),
        (["--dataset", "cityscapes", "--root", str(root), "--split", "val", "--convention", "ade20k"], "does not apply"),
        (["--dataset", "cityscape", "--root", str(root), "--split", "val"], "did you mean 'cityscapes'"),
        (["--gt", str(root), "--num-classes", "19", "--convention", "cityscapes"], "depends on a dataset"),
        (["--root", str(root), "--gt", str(root), "--num-classes", "3"], "--root needs --dataset"),
    ]
    for args, expected in cases:
        r = runner.invoke(app, ["eval", "semantic", "--pred", str(tmp_path / "pred"), *args])
        assert r.exit_code == 2, (args, r.output)
        assert expected in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1, r.output
