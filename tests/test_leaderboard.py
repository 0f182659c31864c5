"""Leaderboards: add/show/render/check through the CLI; exit 0 within tolerance, 1 on a regression, 2 on bad input."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _report_records import instance, semantic
from segbench.cli.main import app
from segbench.errors import InputError
from segbench.leaderboard.board import add_entry, board_path, entry_from_record, load_board
from segbench.leaderboard.check import check_result


def cli(*args):
    return CliRunner().invoke(app, ["leaderboard", *map(str, args)])


def write(path: Path, record: dict) -> Path:
    path.write_text(json.dumps(record))
    return path


def shifted(record: dict, key: str, by: float) -> dict:
    rec = json.loads(json.dumps(record))
    rec["metrics"][key] += by
    return rec


@pytest.fixture
def board(tmp_path):
    """A board with unet (lite) and fcn8s (lite); returns (dir, unet record)."""
    d = tmp_path / "boards"
    unet = semantic("unet", 1, 0.7)
    unet["meta"].update(preset="lite", command="segbench run unet shapes --preset lite", git_commit="a" * 40)
    fcn = semantic("fcn8s", 2, 0.6)
    fcn["meta"]["preset"] = "lite"
    assert cli("add", write(tmp_path / "unet.json", unet), "--board", "shapes-semantic", "--dir", d).exit_code == 0
    assert cli("add", write(tmp_path / "fcn.json", fcn), "--board", "shapes-semantic", "--dir", d).exit_code == 0
    return d, unet


def test_add_writes_entries(board):
    d, unet = board
    entries = json.loads((d / "shapes-semantic.json").read_text())
    assert [e["model"] for e in entries] == ["unet", "fcn8s"]
    e = entries[0]
    assert set(e) == {"model", "preset", "task", "dataset", "convention", "metrics", "segbench_version",
                      "git_commit", "date", "command"}
    assert e["preset"] == "lite" and e["task"] == "semantic" and e["git_commit"] == "a" * 40
    assert e["command"] == "segbench run unet shapes --preset lite"
    assert e["metrics"]["miou"] == unet["metrics"]["miou"]
    assert not list(d.glob(".*.tmp"))  # atomic write leaves no temp file


def test_add_refuses_duplicate_unless_replace(board, tmp_path):
    d, unet = board
    better = write(tmp_path / "u2.json", shifted(unet, "miou", 0.01))
    before = (d / "shapes-semantic.json").read_text()
    res = cli("add", better, "--board", "shapes-semantic", "--dir", d)
    assert res.exit_code == 2 and "--replace" in res.output
    assert (d / "shapes-semantic.json").read_text() == before
    assert cli("add", better, "--board", "shapes-semantic", "--dir", d, "--replace").exit_code == 0
    entries = load_board("shapes-semantic", d)
    assert len(entries) == 2
    assert [e for e in entries if e["model"] == "unet"][0]["metrics"]["miou"] == pytest.approx(unet["metrics"]["miou"] + 0.01)


def test_check_same_result_passes(board, tmp_path):
    d, unet = board
    res = cli("check", write(tmp_path / "r.json", unet), "--board", "shapes-semantic", "--dir", d)
    assert res.exit_code == 0, res.output
    assert "miou" in res.stdout


def test_check_within_tolerance_passes(board, tmp_path):
    d, unet = board
    res = cli("check", write(tmp_path / "r.json", shifted(unet, "miou", -0.004)), "--board", "shapes-semantic",
              "--dir", d, "--tolerance", "0.5")
    assert res.exit_code == 0, res.output


def test_check_injected_regression_exits_1(board, tmp_path):
    d, unet = board
    res = cli("check", write(tmp_path / "r.json", shifted(unet, "miou", -0.006)), "--board", "shapes-semantic",
              "--dir", d, "--tolerance", "0.5")
    assert res.exit_code == 1, res.output
    assert "REGRESSED" in res.stdout and "miou" in res.stdout
    assert "fwiou" not in res.stdout  # the table lists the regressions only
    assert "regressed" in res.output
    # a wider tolerance, or checking only other metrics, passes
    assert cli("check", tmp_path / "r.json", "--board", "shapes-semantic", "--dir", d, "--tolerance", "1").exit_code == 0
    assert cli("check", tmp_path / "r.json", "--board", "shapes-semantic", "--dir", d,
               "--metrics", "fwiou,pixel_acc").exit_code == 0


def test_check_missing_metric_is_a_regression(board, tmp_path):
    d, unet = board
    rec = json.loads(json.dumps(unet))
    rec["metrics"]["miou"] = None
    assert cli("check", write(tmp_path / "r.json", rec), "--board", "shapes-semantic", "--dir", d).exit_code == 1


def test_check_improvement_passes(board, tmp_path):
    d, unet = board
    res = cli("check", write(tmp_path / "r.json", shifted(unet, "miou", 0.05)), "--board", "shapes-semantic", "--dir", d)
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("case, message", [
    ("unknown-board", "unknown board"),
    ("task-mismatch", "task"),
    ("no-entry", "no entry for model"),
    ("bad-metric", "no such metric"),
    ("negative-tolerance", "--tolerance"),
    ("bad-name", "board name"),
    ("not-a-record", "segbench result record"),
])
def test_check_bad_input_exits_2(board, tmp_path, case, message):
    d, unet = board
    result, name, extra = write(tmp_path / "r.json", unet), "shapes-semantic", []
    if case == "unknown-board":
        name = "cityscapes"
    elif case == "task-mismatch":
        result = write(tmp_path / "i.json", instance("unet", 0.3))
    elif case == "no-entry":
        other = json.loads(json.dumps(unet))
        other["model"] = "segnet"
        result = write(tmp_path / "s.json", other)
    elif case == "bad-metric":
        extra = ["--metrics", "AP"]
    elif case == "negative-tolerance":
        extra = ["--tolerance", "-1"]
    elif case == "bad-name":
        name = "../etc/passwd"
    elif case == "not-a-record":
        result = tmp_path / "x.json"
        result.write_text("[1, 2]")
    res = cli("check", result, "--board", name, "--dir", d, *extra)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_add_task_mismatch_and_no_model(board, tmp_path):
    d, _ = board
    res = cli("add", write(tmp_path / "i.json", instance("mrcnn", 0.3)), "--board", "shapes-semantic", "--dir", d)
    assert res.exit_code == 2 and "task" in res.output
    nameless = semantic(None, 1, 0.5)
    res = cli("add", write(tmp_path / "n.json", nameless), "--board", "x", "--dir", d)
    assert res.exit_code == 2 and "--model" in res.output
    assert not (d / "x.json").exists()


def test_show_and_render(board):
    d, _ = board
    res = cli("show", "shapes-semantic", "--dir", d, "--format", "markdown")
    assert res.exit_code == 0, res.output
    lines = [l for l in res.stdout.splitlines() if l.startswith("| ")]
    assert lines[0].startswith("| model | preset | pixel acc.")
    assert lines[2].startswith("| unet | lite | ")  # ranked by mIoU: unet (quality 0.7) first
    assert "**" in lines[2] and "**" not in lines[3]
    assert cli("render", "--dir", d).exit_code == 0
    readme = (d / "README.md").read_text()
    assert "## shapes-semantic" in readme and "| unet | lite |" in readme and "aaaaaaaa" in readme
    assert cli("show", "nope", "--dir", d).exit_code == 2


def test_library_preset_matching():
    a = entry_from_record({**semantic("m", 1, 0.5), "meta": {"preset": "lite"}}, git_commit="x")
    b = entry_from_record({**semantic("m", 2, 0.6), "meta": {"preset": "full"}}, git_commit="x")
    entries = add_entry(add_entry([], a), b)
    assert len(entries) == 2
    full = {**semantic("m", 2, 0.6), "meta": {"preset": "full"}}
    report = check_result(full, entries, tolerance=0.0)
    assert report.preset == "full" and report.ok
    with pytest.raises(InputError, match="preset"):
        check_result({**semantic("m", 2, 0.6), "meta": {"preset": "huge"}}, entries)
    assert board_path("a.b-c_d", "x") == Path("x/a.b-c_d.json")
