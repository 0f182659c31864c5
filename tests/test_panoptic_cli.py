"""``segbench eval panoptic`` through typer's CliRunner: outputs, record layout, every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from _panoptic_data import oracle, random_dataset
from segbench.cli.main import app


@pytest.fixture
def data(tmp_path):
    return random_dataset(tmp_path / "data", 5, n=6, h=32, w=40)


def args(paths, *extra):
    return ["eval", "panoptic", "--gt", str(paths["gt_json"]), "--gt-dir", str(paths["gt_dir"]),
            "--pred", str(paths["pred_json"]), "--pred-dir", str(paths["pred_dir"]), "-q", *extra]


def invoke(argv):
    return CliRunner().invoke(app, argv)


def test_json_record_and_table(data, tmp_path):
    out = tmp_path / "r.json"
    res = invoke(args(data, "--json", str(out), "--format", "markdown", "--per-class"))
    assert res.exit_code == 0, res.output
    assert "PQ^Th" in res.stdout and "| person |" in res.stdout
    rec = json.loads(out.read_text())
    assert rec["task"] == "panoptic" and rec["meta"]["num_images"] == 6
    assert list(rec["metrics"]) == ["PQ", "SQ", "RQ", "PQ_th", "SQ_th", "RQ_th", "PQ_st", "SQ_st", "RQ_st"]
    ref = oracle(data)
    assert rec["metrics"]["PQ"] == pytest.approx(ref["All"]["pq"], abs=1e-9)
    row = rec["per_class"][0]
    assert set(row) == {"id", "name", "isthing", "PQ", "SQ", "RQ", "tp", "fp", "fn"}
    stats = rec["stats"]
    cats = stats["categories"]
    assert cats == [r["id"] for r in rec["per_class"]]
    per = stats["per_image"]
    assert len(per["names"]) == 6 and per["names"][0] == "img_0000"
    for key in ("iou_sum", "tp", "fp", "fn"):
        assert np.asarray(per[key]).shape == (6, len(cats))
    assert np.asarray(per["tp"]).sum(0).tolist() == [r["tp"] for r in rec["per_class"]]


@pytest.mark.parametrize("fmt,needle", [("csv", "PQ"), ("latex", r"\toprule"), ("json", '"PQ_st"'), ("table", "PQ")])
def test_formats(data, fmt, needle):
    res = invoke(args(data, "--format", fmt))
    assert res.exit_code == 0, res.output
    assert needle in res.stdout


def test_per_class_table_only_on_request(data):
    assert "person" not in invoke(args(data, "--format", "markdown")).stdout
    assert "person" in invoke(args(data, "--format", "markdown", "--per-class")).stdout


def test_dataset_option_resolves_ground_truth(data, tmp_path):
    from segbench.datasets.base import DATASETS, DatasetAdapter, register_dataset

    if "test-panoptic" not in DATASETS:
        @register_dataset("test-panoptic")
        class _Fake(DatasetAdapter):
            tasks = ("panoptic",)

            def panoptic_annotations(self, root, split):
                self.check_split(split)
                return Path(root) / "gt.json", Path(root) / "gt"

    res = invoke(["eval", "panoptic", "--dataset", "test-panoptic", "--root", str(data["gt_dir"].parent),
                  "--split", "val", "--pred", str(data["pred_json"]), "--pred-dir", str(data["pred_dir"]),
                  "-q", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["dataset"] == "test-panoptic/val"
    res = invoke(["eval", "panoptic", "--dataset", "test-panoptic", "--root", str(tmp_path), "--split", "nope",
                  "--pred", str(data["pred_json"]), "--pred-dir", str(data["pred_dir"])])
    assert res.exit_code == 2 and "nope" in res.output


def _load(p):
    return json.loads(Path(p).read_text())


def _save(p, obj):
    Path(p).write_text(json.dumps(obj))


def _first_seg(paths, which):
    d = _load(paths[which])
    return d, d["annotations"][0]


def bad_gt_listed_not_in_png(p):
    d, a = _first_seg(p, "gt_json")
    a["segments_info"].append({"id": 4242, "category_id": 1, "iscrowd": 0, "area": 3})
    _save(p["gt_json"], d)
    return "4242"


def bad_pred_listed_not_in_png(p):
    d = _load(p["pred_json"])
    a = next(a for a in d["annotations"] if a["image_id"] == 0)
    a["segments_info"].append({"id": 4243, "category_id": 1})
    _save(p["pred_json"], d)
    return "4243"


def bad_gt_png_not_listed(p):
    d, a = _first_seg(p, "gt_json")
    gone = a["segments_info"].pop()
    _save(p["gt_json"], d)
    return f"segment id {gone['id']} is in the PNG"


def bad_pred_png_not_listed(p):
    d = _load(p["pred_json"])
    a = next(a for a in d["annotations"] if a["image_id"] == 0)
    gone = a["segments_info"].pop()
    _save(p["pred_json"], d)
    return f"segment id {gone['id']} is in the PNG"


def bad_unknown_category_gt(p):
    d, a = _first_seg(p, "gt_json")
    a["segments_info"][0]["category_id"] = 999
    _save(p["gt_json"], d)
    return "category_id 999"


def bad_unknown_category_pred(p):
    d = _load(p["pred_json"])
    d["annotations"][0]["segments_info"][0]["category_id"] = 998
    _save(p["pred_json"], d)
    return "category_id 998"


def bad_duplicate_segment_id(p):
    d = _load(p["pred_json"])
    segs = d["annotations"][0]["segments_info"]
    segs.append(dict(segs[0]))
    _save(p["pred_json"], d)
    return f"segment id {segs[0]['id']} twice"


def bad_duplicate_gt_segment_id(p):
    d, a = _first_seg(p, "gt_json")
    a["segments_info"].append(dict(a["segments_info"][0]))
    _save(p["gt_json"], d)
    return "twice"


def bad_size(p):
    f = p["pred_dir"] / "img_0002.png"
    Image.fromarray(np.asarray(Image.open(f))[:-1]).save(f)
    return "img_0002.png: prediction is 31x40"


def bad_missing_png(p):
    (p["pred_dir"] / "img_0003.png").unlink()
    return "img_0003.png: no such PNG"


def bad_missing_prediction_entry(p):
    d = _load(p["pred_json"])
    d["annotations"] = [a for a in d["annotations"] if a["image_id"] != 4]
    _save(p["pred_json"], d)
    return "no prediction entry for ground-truth image 4"


def bad_gt_area(p):
    d, a = _first_seg(p, "gt_json")
    s = a["segments_info"][0]
    s["area"] += 1
    _save(p["gt_json"], d)
    return f"has area {s['area']} in the JSON but {s['area'] - 1} pixels"


def bad_pred_area(p):
    d = _load(p["pred_json"])
    a = next(a for a in d["annotations"] if a["segments_info"] and "area" in a["segments_info"][0])
    a["segments_info"][0]["area"] += 7
    _save(p["pred_json"], d)
    return "in the JSON but"


def bad_json_text(p):
    Path(p["pred_json"]).write_text("{not json")
    return "not valid JSON"


def bad_grey_png(p):
    f = p["gt_dir"] / "img_0001.png"
    Image.fromarray(np.zeros((32, 40), np.uint8)).save(f)
    return "expected an 8-bit RGB PNG"


def bad_segment_id_zero(p):
    d = _load(p["pred_json"])
    d["annotations"][0]["segments_info"][0]["id"] = 0
    _save(p["pred_json"], d)
    return "0 is VOID"


def bad_missing_isthing(p):
    d = _load(p["gt_json"])
    del d["categories"][0]["isthing"]
    _save(p["gt_json"], d)
    return "isthing"


BAD = [bad_gt_listed_not_in_png, bad_pred_listed_not_in_png, bad_gt_png_not_listed, bad_pred_png_not_listed,
       bad_unknown_category_gt, bad_unknown_category_pred, bad_duplicate_segment_id, bad_duplicate_gt_segment_id,
       bad_size, bad_missing_png, bad_missing_prediction_entry, bad_gt_area, bad_pred_area, bad_json_text,
       bad_grey_png, bad_segment_id_zero, bad_missing_isthing]


@pytest.mark.parametrize("corrupt", BAD, ids=[f.__name__[4:] for f in BAD])
def test_bad_input_is_a_one_line_error_and_writes_nothing(data, tmp_path, corrupt):
    needle = corrupt(data)
    out = tmp_path / "out" / "r.json"
    res = invoke(args(data, "--json", str(out)))
    assert res.exit_code == 2, res.output
    message = res.output.strip()
    assert message.startswith("error:") and "\n" not in message and "Traceback" not in message
    assert needle in message
    assert not out.exists()


def test_missing_ground_truth_options(data):
    res = invoke(["eval", "panoptic", "--pred", str(data["pred_json"]), "--pred-dir", str(data["pred_dir"])])
    assert res.exit_code == 2 and "--gt" in res.output


def test_extra_prediction_entries_are_reported_not_evaluated(data):
    d = _load(data["pred_json"])
    d["annotations"].append({"image_id": 999, "file_name": "nope.png", "segments_info": []})
    _save(data["pred_json"], d)
    res = invoke(args(data, "--format", "json"))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["meta"]["num_images"] == 6
    assert "1 prediction entries have no ground-truth image" in res.stderr
