from typer.testing import CliRunner

from segbench.cli.main import app


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("segbench ")


def test_demo_prints_table(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--images", "3", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "mean IU" in result.stdout


def test_command_line_process_gives_the_library_numbers(tmp_path):
    """A real ``segbench`` process (tuned allocator, quick Numba kernel loading, Wuffs decoding
    where installed) agrees exactly with the library on semantic and panoptic folders."""
    import json
    import subprocess
    import sys

    import numpy as np
    from _panoptic_data import random_dataset

    from segbench.api import evaluate_semantic, semantic_record
    from segbench.cli.process_tuning import keep_freed_memory_for_reuse
    from segbench.engine.panoptic import evaluate_panoptic, panoptic_record
    from segbench.datasets.synth_writer import SynthConfig, write_synthetic

    if sys.platform.startswith("linux"):
        assert keep_freed_memory_for_reuse()
    write_synthetic(SynthConfig(tmp_path / "s", images=6, height=40, width=56, classes=5, seed=3), ("semantic",))
    sem_dir = tmp_path / "s" / "semantic"
    cli = [sys.executable, "-m", "segbench", "eval"]
    out = subprocess.run(cli + ["semantic", "--gt", str(sem_dir / "gt"), "--pred", str(sem_dir / "pred"),
                                "--num-classes", "5", "--format", "json", "-q"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    expected = semantic_record(evaluate_semantic(sem_dir / "gt", sem_dir / "pred", 5))
    got = json.loads(out.stdout)
    assert got["metrics"] == expected["metrics"]
    np.testing.assert_array_equal(got["stats"]["confusion"], expected["stats"]["confusion"])

    p = random_dataset(tmp_path / "p", 4, n=9)
    out = subprocess.run(cli + ["panoptic", "--gt", str(p["gt_json"]), "--gt-dir", str(p["gt_dir"]),
                                "--pred", str(p["pred_json"]), "--pred-dir", str(p["pred_dir"]), "--format", "json", "-q"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    expected = panoptic_record(evaluate_panoptic(p["gt_json"], p["gt_dir"], p["pred_json"], p["pred_dir"]))
    assert json.loads(out.stdout)["metrics"] == expected["metrics"]
