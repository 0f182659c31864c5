"""Output paths: one-line errors (exit 2) for folders, special files, bad parents and OS errors;
every output checked before any work; symlinks written through; umask respected; synth refuses
stale task folders and bad values before creating anything; ``--jobs`` must be >= 0."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segbench.cli.main import app
from segbench.errors import InputError
from segbench.fileio import atomic_write_text, check_output_path

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_failure(res, *needles):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    for needle in needles:
        assert needle in res.output, (needle, res.output)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from segbench.datasets.synth_writer import SynthConfig, write_synthetic

    root = tmp_path_factory.mktemp("scenes") / "s"
    write_synthetic(SynthConfig(root, images=2, height=32, width=48, classes=6, seed=0))
    return root


def semantic_args(s: Path):
    return ["eval", "semantic", "--gt", s / "semantic" / "gt", "--pred", s / "semantic" / "pred",
            "--num-classes", 6, "-q"]


def instance_args(s: Path):
    return ["eval", "instance", "--gt", s / "instance" / "instances.json", "--pred", s / "instance" / "results.json"]


def panoptic_args(s: Path):
    p = s / "panoptic"
    return ["eval", "panoptic", "--gt", p / "gt.json", "--gt-dir", p / "gt", "--pred", p / "pred.json",
            "--pred-dir", p / "pred", "-q"]


@pytest.mark.parametrize("flag", ["--json", "--per-image"])
def test_semantic_output_to_a_folder(scenes, tmp_path, flag):
    res = invoke(*semantic_args(scenes), flag, tmp_path)
    assert_clean_failure(res, str(tmp_path), "is a folder")
    assert tmp_path.is_dir()


def test_output_under_a_plain_file(scenes, tmp_path):
    (tmp_path / "afile").write_text("x")
    res = invoke(*semantic_args(scenes), "--json", tmp_path / "afile" / "o.json")
    assert_clean_failure(res, "afile", "not a folder")


def test_no_half_written_outputs(scenes, tmp_path):
    """A bad --json is found before --per-image (or --pr-curves) is written."""
    csv = tmp_path / "pi.csv"
    res = invoke(*semantic_args(scenes), "--json", tmp_path, "--per-image", csv)
    assert_clean_failure(res, "is a folder")
    assert not csv.exists()
    curves = tmp_path / "curves.csv"
    res = invoke(*instance_args(scenes), "--json", tmp_path, "--pr-curves", curves)
    assert_clean_failure(res, "is a folder")
    assert not curves.exists()


def test_instance_pr_curves_to_a_folder(scenes, tmp_path):
    assert_clean_failure(invoke(*instance_args(scenes), "--pr-curves", tmp_path), "is a folder")


def test_panoptic_json_to_a_folder(scenes, tmp_path):
    assert_clean_failure(invoke(*panoptic_args(scenes), "--json", tmp_path), "is a folder")


def test_fifo_is_refused_not_replaced(scenes, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    res = invoke(*semantic_args(scenes), "--json", fifo)
    assert_clean_failure(res, str(fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(InputError, match="not a regular file"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_is_written_through(scenes, tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    link.symlink_to(real.name)  # dangling until written
    res = invoke(*semantic_args(scenes), "--json", link, "--format", "json")
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and os.readlink(link) == real.name
    assert '"task": "semantic"' in real.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_symlink_to_a_folder_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "l").symlink_to("d")
    with pytest.raises(InputError, match="is a folder"):
        check_output_path(tmp_path / "l")


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_files_respect_the_umask(tmp_path, mask, expected):
    old = os.umask(mask)
    try:
        atomic_write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f.txt").st_mode) == expected


def test_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_os_errors_are_one_line_input_errors(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InputError, match=r"f\.txt: cannot write output file \(Permission denied\)"):
        atomic_write_text(tmp_path / "f.txt", "x")
    assert list(tmp_path.iterdir()) == []  # the temp file is removed


def test_synth_and_demo_into_a_plain_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert_clean_failure(invoke("synth", afile, "--images", 2, "--size", "32x48"), "afile", "not a folder")
    assert_clean_failure(invoke("demo", "--out", afile, "--images", 2), "afile", "not a folder")
    assert afile.read_text() == "x"


def test_synth_refuses_a_folder_with_earlier_scenes(tmp_path):
    out = tmp_path / "sy"
    assert invoke("synth", out, "--images", 4, "--size", "32x48", "--tasks", "semantic").exit_code == 0
    res = invoke("synth", out, "--images", 2, "--size", "32x48", "--seed", 5, "--tasks", "semantic")
    assert_clean_failure(res, str(out / "semantic"), "not empty")
    assert len(list((out / "semantic" / "gt").iterdir())) == 4
    empty = tmp_path / "empty"
    (empty / "semantic").mkdir(parents=True)  # an existing but empty task folder is fine
    assert invoke("synth", empty, "--images", 2, "--size", "32x48", "--tasks", "semantic").exit_code == 0


def test_synth_overwrite_replaces_only_its_own_folders(tmp_path):
    out = tmp_path / "sy"
    assert invoke("synth", out, "--images", 4, "--size", "32x48", "--tasks", "semantic").exit_code == 0
    res = invoke("synth", out, "--images", 2, "--size", "32x48", "--tasks", "semantic", "--overwrite")
    assert res.exit_code == 0, res.output
    assert len(list((out / "semantic" / "gt").iterdir())) == 2  # the earlier 4 scenes are gone
    mine = out / "instance"
    mine.mkdir()
    (mine / "keep.json").write_text("{}")  # not written by synth: never removed
    res = invoke("synth", out, "--images", 2, "--size", "32x48", "--tasks", "semantic,instance", "--overwrite")
    assert_clean_failure(res, str(mine), "not written by segbench synth")
    assert (mine / "keep.json").read_text() == "{}"
    assert len(list((out / "semantic" / "gt").iterdir())) == 2


def test_demo_runs_twice_into_the_same_folder(tmp_path):
    for images in (4, 3):
        res = invoke("demo", "--out", tmp_path / "d", "--images", images, "--format", "markdown")
        assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "d" / "semantic" / "gt").iterdir())) == 3


@pytest.mark.parametrize("option", [("--seed", "-1"), ("--size", "100000x100000")])
def test_failing_synth_leaves_nothing(tmp_path, option):
    out = tmp_path / "sy"
    res = invoke("synth", out, "--images", 2, *option)
    assert_clean_failure(res, option[0], option[1])
    assert not out.exists()


@pytest.mark.parametrize("args", [semantic_args, instance_args, panoptic_args])
def test_negative_jobs_is_a_usage_error(scenes, args):
    res = invoke(*args(scenes), "--jobs", "-5")
    assert res.exit_code == 2
    assert "--jobs" in res.output and "Traceback" not in res.output
