"""Bad inputs found by fuzzing the CLI: each gets a one-line error and exit 2, never a wrong number."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from _panoptic_data import random_dataset
from conftest import save_png
from segbench.cli.main import app
from segbench.datasets.classnames import load_class_names
from segbench.errors import FormatError


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_exit_2(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("text, message", [
    ("a\n\nc\n", "line 2 is blank"),
    ("a\nb\n \nd\n", "line 3 is blank"),
])
def test_class_names_txt_blank_line_is_refused(tmp_path, text, message):
    path = tmp_path / "names.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        load_class_names(path, 3)


def test_class_names_txt_trailing_blank_lines_are_fine(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("a\nb\nc\n\n\n")
    assert load_class_names(path, 3) == ["a", "b", "c"]


@pytest.mark.parametrize("data, message", [
    ({"0": None, "1": "b"}, "expected a non-empty string"),
    ({"0": ["x"], "1": "b"}, "expected a non-empty string"),
    (["a", 3], "entry 1 has name 3"),
    ({"0": "a", "00": "b"}, "class id 0 is given twice"),
    (["a", ""], "expected a non-empty string"),
])
def test_class_names_json_values(tmp_path, data, message):
    path = tmp_path / "names.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError, match=message):
        load_class_names(path, 2)


def test_class_names_unreadable(tmp_path):
    (tmp_path / "bytes.txt").write_bytes(b"\xff\xfe\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        load_class_names(tmp_path / "bytes.txt", 1)
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(FormatError, match="cannot read the class-names file"):
        load_class_names(tmp_path / "folder.txt", 1)


def semantic_pair(tmp_path, pred_array):
    gt = np.array([[0, 1], [1, 2]], np.uint8)
    save_png(tmp_path / "gt" / "a.png", gt)
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "pred" / "a.npy", pred_array)
    return gt


@pytest.mark.parametrize("dtype", [">i4", ">u2", ">i8"])
def test_big_endian_npy_predictions(tmp_path, dtype):
    gt = semantic_pair(tmp_path, np.array([[0, 1], [2, 2]]).astype(dtype))
    out = tmp_path / "r.json"
    result = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 3,
                    "--json", out, "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["metrics"]["pixel_acc"] == pytest.approx(3 / 4)
    assert gt.shape == (2, 2)


@pytest.mark.parametrize("n", [16385, 70000, 10**8])
def test_num_classes_too_large_for_a_confusion_matrix(tmp_path, n):
    semantic_pair(tmp_path, np.zeros((2, 2), np.int32))
    line = one_line_exit_2(invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred",
                                  "--num-classes", n, "-q"))
    assert f"--num-classes {n}" in line and "at most 16384" in line


def test_out_of_memory_is_one_line(tmp_path, monkeypatch):
    import segbench.api as api

    def boom(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(api, "evaluate_semantic", boom)
    semantic_pair(tmp_path, np.zeros((2, 2), np.int32))
    line = one_line_exit_2(invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred",
                                  "--num-classes", 3, "-q"))
    assert "out of memory" in line


def panoptic_args(paths, pred_json):
    return ("eval", "panoptic", "--gt", paths["gt_json"], "--gt-dir", paths["gt_dir"], "--pred", pred_json,
            "--pred-dir", paths["pred_dir"], "-q")


def test_panoptic_negative_prediction_area(tmp_path):
    paths = random_dataset(tmp_path, seed=3, n=2)
    pred = json.loads(open(paths["pred_json"]).read())
    segment = next(s for a in pred["annotations"] for s in a["segments_info"])
    segment["area"] = -5
    bad = tmp_path / "bad_pred.json"
    bad.write_text(json.dumps(pred))
    line = one_line_exit_2(invoke(*panoptic_args(paths, bad)))
    assert "area -5" in line and str(bad) in line


def test_panoptic_ground_truth_without_images(tmp_path):
    paths = random_dataset(tmp_path, seed=4, n=2)
    gt = json.loads(open(paths["gt_json"]).read())
    gt["annotations"] = []
    empty = tmp_path / "empty_gt.json"
    empty.write_text(json.dumps(gt))
    out = tmp_path / "r.json"
    args = list(panoptic_args(paths, paths["pred_json"]))
    args[args.index("--gt") + 1] = empty
    line = one_line_exit_2(invoke(*args, "--json", out))
    assert "'annotations' is empty" in line and not out.exists()


def test_per_image_csv_names_a_non_utf8_file_by_its_bytes(tmp_path):
    """A label map whose name is not UTF-8 was a UnicodeEncodeError traceback with --per-image."""
    import os

    label = np.zeros((4, 4), np.uint8)
    for side in ("gt", "pred"):
        (tmp_path / side).mkdir()
        save_png(Path(os.fsdecode(os.path.join(os.fsencode(tmp_path / side), b"x\xff.png"))), label)
    out = tmp_path / "per_image.csv"
    res = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred",
                 "--num-classes", 2, "--per-image", out, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert out.read_bytes().splitlines()[1].startswith(b"x\xff,16,")


@pytest.mark.parametrize("args, message", [
    (["eval", "panoptic", "--gt", "x.json"], "Missing option '--pred'"),
    (["eval", "semantic", "--gt", "a", "--pred", "b", "--jobs", "abc"], "'abc' is not a valid int"),
    (["eval", "semantic", "--gt", "a", "--pred", "b", "--format", "xml"], "'xml' is not one of"),
    (["evl"], "No such command 'evl'"),
    (["eval", "semantic", "--bogus"], "No such option: --bogus"),
])
def test_usage_errors_are_one_line(args, message):
    """Click usage errors get segbench's one-line form (typer prints usage text and a boxed panel)."""
    line = one_line_exit_2(invoke(*args))
    assert line.startswith("error: ") and message in line and "--help" in line


def test_help_and_version_still_print_and_exit_0():
    assert invoke("--version").output.strip().startswith("segbench ")
    res = invoke("eval", "semantic", "--help")
    assert res.exit_code == 0 and "--num-classes" in res.output
    res = invoke()
    assert res.exit_code == 2 and "eval" in res.output  # no arguments: the help, as before
