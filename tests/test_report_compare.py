"""``segbench compare``: golden outputs for each format, options, bad input, LaTeX compiles."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _report_records import instance, panoptic, semantic
from segbench.cli.main import app
from segbench.errors import InputError
from segbench.report.compare import Result, compare, load_results
from segbench.report.tables import render

GOLDEN = Path(__file__).parent / "golden" / "compare"
UPDATE = os.environ.get("SEGBENCH_UPDATE_GOLDEN") == "1"
FORMATS = {"table": "txt", "markdown": "md", "latex": "tex", "csv": "csv", "json": "json", "html": "html"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("results")
    records = {
        "fcn.json": semantic("FCN-8s", 1, 0.55),
        "deeplab.json": semantic("DeepLabv3", 2, 0.75),
        "unet.json": semantic("U-Net", 3, 0.65, drop=("mdice",)),
        "maskrcnn.json": instance("Mask R-CNN", 0.35),
        "pfpn.json": panoptic("Panoptic FPN", 4),
    }
    for name, rec in records.items():
        (d / name).write_text(json.dumps(rec))
    return {name: str(d / name) for name in records}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SEGBENCH_UPDATE_GOLDEN=1 and review it"
    want = path.read_text(encoding="utf-8")
    if name.endswith((".csv", ".json")):
        # raw floats: equal up to the last bits a different BLAS may change (bootstrap matmuls)
        assert _numbers_close(_tokens(text), _tokens(want)), f"{name} differs from its golden file"
    else:
        assert text == want, f"{name} differs from its golden file"


def _tokens(text: str) -> list[str]:
    import re

    return re.split(r"([,\s\[\]{}:]+)", text)


def _numbers_close(got: list[str], want: list[str]) -> bool:
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if a == b:
            continue
        try:
            if abs(float(a) - float(b)) > 1e-12 + 1e-9 * abs(float(b)):
                return False
        except ValueError:
            return False
    return True


def run(*args):
    return CliRunner().invoke(app, ["compare", *map(str, args)])


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_summary_golden(files, fmt, tmp_path):
    out = tmp_path / f"summary.{FORMATS[fmt]}"
    res = run(files["fcn.json"], files["deeplab.json"], files["unet.json"], "--format", fmt, "--out", out,
              "--caption", "Semantic segmentation on the toy set (val)")
    assert res.exit_code == 0, res.output
    check_golden(f"summary.{FORMATS[fmt]}", out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv", "json"])
def test_mixed_tasks_delta_ci_golden(files, fmt, tmp_path):
    out = tmp_path / "o"
    res = run(files["fcn.json"], files["maskrcnn.json"], files["deeplab.json"], files["pfpn.json"],
              "--format", fmt, "--out", out, "--delta", "FCN-8s", "--ci", "95", "--resamples", "200",
              "--metrics", "miou,fwiou,AP,AP50,PQ,PQ_th,PQ_st")
    assert res.exit_code == 0, res.output
    check_golden(f"mixed_delta_ci.{FORMATS[fmt]}", out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv"])
def test_per_class_golden(files, fmt, tmp_path):
    out = tmp_path / "o"
    res = run(files["fcn.json"], files["deeplab.json"], files["unet.json"], "--per-class", "--sort", "miou",
              "--format", fmt, "--out", out)
    assert res.exit_code == 0, res.output
    check_golden(f"per_class.{FORMATS[fmt]}", out.read_text(encoding="utf-8"))


def test_summary_content(files):
    results = load_results([files["fcn.json"], files["deeplab.json"], files["unet.json"]])
    (table,) = compare(results).tables
    assert table.columns == ["", "pixel acc.", "mean acc.", "mean IU", "f.w. IU", "mean Dice"]
    assert [r[0] for r in table.rows] == ["FCN-8s", "DeepLabv3", "U-Net"]
    assert table.rows[2][5] is None  # U-Net has no mdice -> "-"
    md = render([table], "markdown")
    assert "| U-Net |" in md and md.strip().splitlines()[-1].endswith("| - |")
    # the best value of each column, and only it, is bold
    for c in range(1, 6):
        values = [r[c] for r in table.rows if r[c] is not None]
        best = {(r, c) for r, row in enumerate(table.rows) if row[c] == max(values)}
        assert {b for b in table.bold if b[1] == c} == best


def test_sort_label_and_metric_selection(files):
    res = run(files["fcn.json"], files["deeplab.json"], files["unet.json"], "--sort", "mean IU", "--metrics", "miou",
              "--label", "a", "--label", "b", "--label", "c", "--format", "csv")
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0] == ",mean IU"
    values = [float(line.split(",")[1]) for line in lines[1:]]
    assert values == sorted(values, reverse=True)
    assert lines[1].startswith("b,")  # DeepLabv3 (label b) is best


def test_duplicate_model_names_get_file_names(files, tmp_path):
    other = tmp_path / "fcn_rerun.json"
    shutil.copy(files["fcn.json"], other)
    labels = [r.label for r in load_results([files["fcn.json"], other])]
    assert labels == ["FCN-8s [fcn]", "FCN-8s [fcn_rerun]"]


def test_delta_values(files):
    results = load_results([files["fcn.json"], files["deeplab.json"]])
    (table,) = compare(results, metrics=["miou"], delta="FCN-8s").tables
    assert table.columns == ["", "mean IU", "\u0394 mean IU"]
    assert table.rows[0][2] is None
    assert table.rows[1][2] == pytest.approx(table.rows[1][1] - table.rows[0][1])


def test_ci_only_for_records_with_per_image_stats(files, tmp_path):
    bare = json.loads(Path(files["unet.json"]).read_text())
    del bare["stats"]
    (tmp_path / "bare.json").write_text(json.dumps(bare))
    results = load_results([files["fcn.json"], tmp_path / "bare.json"])
    comp = compare(results, metrics=["miou"], ci=90, resamples=100)
    (table,) = comp.tables
    low, high = table.rows[0][2]
    assert low <= table.rows[0][1] <= high
    assert table.rows[1][2] is None
    assert any("no per-image statistics" in n for n in comp.notes)
    again = compare(results, metrics=["miou"], ci=90, resamples=100).tables[0]
    assert again.rows == table.rows  # fixed seed


@pytest.mark.parametrize("args, message", [
    (["--metrics", "nonsense"], "no result has this metric"),
    (["--delta", "nobody"], "no result has this label"),
    (["--sort", "AP"], "--sort"),
    (["--ci", "120"], "--ci"),
    (["--label", "only-one"], "--label given 1 times"),
    (["--per-class", "--ci", "95"], "--per-class cannot"),
])
def test_bad_options_exit_2(files, args, message):
    res = run(files["fcn.json"], files["deeplab.json"], *args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_bad_files_exit_2(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    res = run(tmp_path / "x.json")
    assert res.exit_code == 2 and "schema" in res.output
    res = run(tmp_path / "missing.json")
    assert res.exit_code == 2 and "no such result file" in res.output


def test_out_format_from_suffix(files, tmp_path):
    out = tmp_path / "t.tex"
    assert run(files["fcn.json"], "--out", out).exit_code == 0
    assert out.read_text().startswith("\\begin{table}")


def test_terminal_table_shows_colours(files):
    from rich.console import Console

    from segbench.report.tables import rich_tables

    comp = compare(load_results([files["fcn.json"], files["deeplab.json"]]), metrics=["miou"], delta="DeepLabv3")
    console = Console(record=True, force_terminal=True, color_system="standard", width=120)
    for t in rich_tables(comp.tables):
        console.print(t)
    text = console.export_text(styles=True)
    assert "\x1b[31m" in text or "\x1b[1;31m" in text  # FCN-8s is worse than the baseline: red


def _tex_engine():
    for engine in ("pdflatex", "lualatex", "xelatex"):
        if shutil.which(engine):
            return engine
    return None


@pytest.mark.skipif(_tex_engine() is None, reason="no TeX engine (pdflatex/lualatex/xelatex) installed")
@pytest.mark.parametrize("golden", ["summary.tex", "mixed_delta_ci.tex", "per_class.tex"])
def test_latex_compiles(golden, tmp_path):
    body = (GOLDEN / golden).read_text(encoding="utf-8")
    doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + body + "\\end{document}\n"
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run([_tex_engine(), "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 0


def test_compare_library_rejects_empty():
    with pytest.raises(InputError):
        load_results([])
    assert isinstance(Result("x", {}), Result)


def test_per_class_instance_and_panoptic(files):
    results = load_results([files["maskrcnn.json"], files["pfpn.json"]])
    inst, pan = compare(results, per_class=True).tables
    assert inst.columns == ["", "car", "person", "AP"]
    assert inst.rows[0][1] == pytest.approx(0.40) and inst.rows[0][3] == pytest.approx(0.35)
    assert pan.columns == ["", "car", "person", "road", "sky", "PQ"]
    assert pan.rows[0][4] is None  # "sky" never occurs: PQ undefined -> "-"
    assert "| - |" in render([pan], "markdown")


@pytest.mark.parametrize("name", ["net[v2]", "a [/bold] b", "x:smile:y", "[red]ds"])
def test_names_print_as_they_are(name, tmp_path):
    """Model names (and any label) are text, not rich markup or emoji codes, in every format."""
    from segbench.report.tables import render_table_text, rich_tables

    record = semantic(name, 1, 0.55)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record))
    comp = compare(load_results([str(path)]))
    assert name in render_table_text(comp.tables)
    for t in rich_tables(comp.tables):  # headers and cells are Text objects: nothing is parsed
        assert all(type(c.header).__name__ == "Text" for c in t.columns)
    result = run(path)
    assert result.exit_code == 0, result.output
    assert name in result.output
    assert name.replace("|", "\\|") in render(comp.tables, "markdown")


def test_error_and_info_messages_print_as_they_are(tmp_path):
    from segbench.cli.common import info, print_error

    weird = tmp_path / "runs[/bold]" / "x:smile:[red].json"
    result = run(weird)
    assert result.exit_code == 2
    assert str(weird) in " ".join(result.output.split("\n"))  # the path, not markup or an emoji
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        info("[/dim] a:smile:b")
        print_error("[/x] c:cat:d")
    assert "[/dim] a:smile:b" in buf.getvalue() and "error: [/x] c:cat:d" in buf.getvalue()
