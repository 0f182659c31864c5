"""``segbench eval instance`` through typer's CliRunner: outputs and every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from coco_random import encode, pycoco_eval, random_dataset, stats_vector
from segbench.cli.main import app


@pytest.fixture
def files(tmp_path):
    gt, results = random_dataset(2, n_images=8)
    g, r = tmp_path / "gt.json", tmp_path / "res.json"
    g.write_text(json.dumps(gt))
    r.write_text(json.dumps(results))
    return g, r, gt, results


def invoke(*args):
    return CliRunner().invoke(app, ["eval", "instance", *map(str, args)])


def test_json_record_matches_pycocotools(files, tmp_path):
    g, r, gt, results = files
    out = tmp_path / "out" / "rec.json"
    res = invoke("--gt", g, "--pred", r, "--json", out, "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(out.read_text())
    assert json.loads(res.stdout)["metrics"] == rec["metrics"]
    assert rec["task"] == "instance"
    assert list(rec["metrics"]) == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    np.testing.assert_allclose(stats_vector(rec["metrics"]), pycoco_eval(gt, results)[0], atol=1e-12, rtol=0)
    assert rec["params"]["max_dets"] == [1, 10, 100] and rec["params"]["iou_type"] == "segm"
    assert rec["params"]["area_ranges"]["small"] == [0, 1024]
    row = rec["per_class"][0]
    assert {"id", "name", "AP", "AP50", "AP75", "APs", "APm", "APl"} <= set(row)
    assert any(r["AP"] is None for r in rec["per_class"])  # the category without GT is null


def test_table_is_paper_style(files):
    g, r, *_ = files
    res = invoke("--gt", g, "--pred", r, "--format", "markdown", "--per-class")
    assert res.exit_code == 0, res.output
    head = res.stdout.splitlines()
    assert "| AP | AP50 | AP75 | APS | APM | APL |" in res.stdout
    assert "Per class" in res.stdout and "cat0" in res.stdout
    assert "AR100" in res.stdout
    assert any(line.count("|") == 8 for line in head)


@pytest.mark.parametrize("fmt", ["table", "latex", "csv"])
def test_other_formats(files, fmt):
    g, r, *_ = files
    res = invoke("--gt", g, "--pred", r, "--format", fmt)
    assert res.exit_code == 0, res.output
    assert "AP50" in res.stdout


def test_pr_curves_csv(files, tmp_path):
    g, r, *_ = files
    out = tmp_path / "pr.csv"
    res = invoke("--gt", g, "--pred", r, "--pr-curves", out, "--format", "json")
    assert res.exit_code == 0, res.output
    import pandas as pd

    frame = pd.read_csv(out)
    assert list(frame.columns) == ["category_id", "category", "iou_threshold", "recall", "precision"]
    mean = frame[frame.category == "mean"]
    assert len(mean) == 10 * 101
    ap = mean.precision.mean()
    assert ap == pytest.approx(json.loads(res.stdout)["metrics"]["AP"], abs=1e-12)


def test_bbox_and_options(files):
    g, r, gt, results = files
    res = invoke("--gt", g, "--pred", r, "--iou-type", "bbox", "--format", "json")
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(stats_vector(json.loads(res.stdout)["metrics"]), pycoco_eval(gt, results, "bbox")[0],
                               atol=1e-12, rtol=0)
    res = invoke("--gt", g, "--pred", r, "--max-dets", "1,5,20", "--fix-maxdets", "--format", "json")
    rec = json.loads(res.stdout)
    assert res.exit_code == 0 and "AR5" in rec["metrics"] and rec["metrics"]["AP"] is not None
    res = invoke("--gt", g, "--pred", r, "--area-ranges", "all=0:1e10,tiny=0:16", "--format", "json")
    assert res.exit_code == 0, res.output
    assert "AP_tiny" in json.loads(res.stdout)["metrics"]


def test_empty_results_give_zero(files, tmp_path):
    g, r, *_ = files
    r.write_text("[]")
    res = invoke("--gt", g, "--pred", r, "--format", "json")
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)["metrics"]
    assert m["AP"] == 0.0 and m["AR100"] == 0.0


def test_polygon_and_uncompressed_results_are_converted(files, tmp_path):
    """pycocotools' loadRes cannot read these without a bbox; segbench converts them as annToRLE does."""
    from pycocotools import mask as mask_utils

    g, r, gt, results = files
    img = {i["id"]: i for i in gt["images"]}
    poly = [10.0, 2.0, 20.0, 3.0, 18.0, 15.0, 4.0, 12.0]
    h, w = img[results[0]["image_id"]]["height"], img[results[0]["image_id"]]["width"]
    results = [dict(x) for x in results]
    results[0]["segmentation"] = [poly]
    m = mask_utils.decode(results[1]["segmentation"]).astype(bool)
    flat = m.T.reshape(-1).astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    counts = np.diff(bounds).tolist()
    results[1]["segmentation"] = {"size": list(m.shape), "counts": ([0] + counts) if flat[0] else counts}
    r.write_text(json.dumps(results))
    res = invoke("--gt", g, "--pred", r, "--format", "json")
    assert res.exit_code == 0, res.output
    converted = [dict(x) for x in results]
    converted[0]["segmentation"] = encode(mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([poly], h, w))).astype(bool))
    converted[1]["segmentation"] = encode(m)
    np.testing.assert_allclose(stats_vector(json.loads(res.stdout)["metrics"]), pycoco_eval(gt, converted)[0],
                               atol=1e-12, rtol=0)


def mutate_result(results, i, **change):
    out = [dict(x) for x in results]
    for k, v in change.items():
        if v is KeyError:
            out[i].pop(k)
        else:
            out[i][k] = v
    return out


BAD_RESULTS = {
    "unknown image": (lambda res: mutate_result(res, 3, image_id=999999), "image_id 999999"),
    "unknown category": (lambda res: mutate_result(res, 3, category_id=77), "category_id 77"),
    "nan score": (lambda res: mutate_result(res, 2, score=float("nan")), "score nan"),
    "missing score": (lambda res: mutate_result(res, 2, score=KeyError), "has no 'score'"),
    "string score": (lambda res: mutate_result(res, 2, score="0.5"), "score '0.5'"),
    "not a list": (lambda res: {"annotations": res}, "expected a JSON list"),
    "rle size mismatch": (lambda res: mutate_result(res, 1, segmentation={"size": [5, 5], "counts": "05"}),
                          "RLE size [5, 5]"),
    "rle counts too short": (lambda res: mutate_result(res, 1, segmentation={**res[1]["segmentation"], "counts": "52"}),
                             "do not cover"),
    "rle bad characters": (lambda res: mutate_result(res, 1, segmentation={**res[1]["segmentation"], "counts": "0 {"}),
                           "outside the compressed-RLE alphabet"),
    "bad polygon": (lambda res: mutate_result(res, 1, segmentation=[[1, 2]]), "polygon"),
    "no segmentation": (lambda res: mutate_result(res, 1, segmentation=KeyError), "has no 'segmentation'"),
    "float image id": (lambda res: mutate_result(res, 0, image_id=1.5), "image_id 1.5"),
}


@pytest.mark.parametrize("case", sorted(BAD_RESULTS))
def test_bad_results_are_one_line_errors_and_nothing_is_written(files, tmp_path, case):
    g, r, gt, results = files
    make, expected = BAD_RESULTS[case]
    r.write_text(json.dumps(make(results)))
    out = tmp_path / "rec.json"
    pr = tmp_path / "pr.csv"
    res = invoke("--gt", g, "--pred", r, "--json", out, "--pr-curves", pr)
    assert res.exit_code == 2, res.output
    msg = res.output.strip()
    assert "\n" not in msg and msg.startswith("error:"), msg
    assert expected in msg and str(r) in msg, msg
    assert "Traceback" not in res.output
    assert not out.exists() and not pr.exists()


def test_bad_ground_truth(files, tmp_path):
    g, r, gt, results = files
    cases = {
        "no images": ({k: v for k, v in gt.items() if k != "images"}, "no 'images' list"),
        "duplicate ann id": ({**gt, "annotations": gt["annotations"] + [gt["annotations"][0]]}, "appears more than once"),
        "unknown image": ({**gt, "annotations": [{**gt["annotations"][0], "image_id": 424242}]}, "image_id 424242"),
        "missing area": ({**gt, "annotations": [{k: v for k, v in gt["annotations"][0].items() if k != "area"}]}, "has no 'area'"),
        "bad size": ({**gt, "annotations": [{**gt["annotations"][0], "segmentation": {"size": [1, 1], "counts": "01"}}]}, "RLE size [1, 1]"),
    }
    for name, (data, expected) in cases.items():
        g.write_text(json.dumps(data))
        res = invoke("--gt", g, "--pred", r)
        assert res.exit_code == 2, (name, res.output)
        assert expected in res.output and "\n" not in res.output.strip(), (name, res.output)


@pytest.mark.parametrize("args, expected", [
    (["--max-dets", "1,x"], "--max-dets"),
    (["--max-dets", "0,10"], "--max-dets"),
    (["--max-dets", "1,10,99999999999999999999"], "--max-dets"),
    (["--area-ranges", "small=0:10"], "'all'"),
    (["--area-ranges", "all=5"], "--area-ranges"),
    (["--area-ranges", "all=9:1"], "low <= high"),
    (["--iou-type", "keypoints"], "--iou-type"),
])
def test_bad_options(files, args, expected):
    g, r, *_ = files
    res = invoke("--gt", g, "--pred", r, *args)
    assert res.exit_code == 2, res.output
    assert expected in res.output


def test_missing_and_invalid_files(files, tmp_path):
    g, r, *_ = files
    res = invoke("--gt", tmp_path / "nope.json", "--pred", r)
    assert res.exit_code == 2 and "no such ground-truth file" in res.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = invoke("--gt", g, "--pred", bad)
    assert res.exit_code == 2 and "not valid JSON" in res.output


def test_gt_or_dataset_exactly_one(files):
    g, r, *_ = files
    res = invoke("--pred", r)
    assert res.exit_code == 2 and "--gt" in res.output
    res = invoke("--gt", g, "--pred", r, "--dataset", "shapes")
    assert res.exit_code == 2


def test_dataset_option_resolves_the_adapter_annotations(files, monkeypatch, tmp_path):
    from segbench.datasets import base

    g, r, *_ = files
    seen = {}

    class Fake(base.DatasetAdapter):
        name = "fakecoco"
        tasks = ("instance",)
        splits = ("val",)

        def instance_annotations(self, root, split):
            seen["args"] = (root, split)
            return g

    monkeypatch.setattr(base, "get_dataset", lambda name, **kw: Fake())
    res = invoke("--dataset", "fakecoco", "--root", tmp_path, "--split", "val", "--pred", r, "--format", "json")
    assert res.exit_code == 0, res.output
    assert seen["args"] == (tmp_path, "val")
    assert json.loads(res.stdout)["dataset"] == "fakecoco/val"


def test_blas_probe_skip_is_scoped_to_numba_start_up():
    """The CLI hides scipy's BLAS module only while numba initialises, then restores it."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from segbench.kernels.numba_startup import numba_without_blas_probe\n"
        "with numba_without_blas_probe():\n"
        "    assert sys.modules['scipy.linalg.cython_blas'] is None\n"
        "    from segbench.kernels.coco import _ws\n"
        "    assert _ws(np.zeros(3, np.uint8) + 32, 0) == 3\n"
        "assert 'scipy.linalg.cython_blas' not in sys.modules\n"
        "import scipy.linalg.cython_blas\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
