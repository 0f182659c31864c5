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
