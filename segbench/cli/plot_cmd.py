"""``segbench plot``: per-class bars, confusion heatmap, COCO precision-recall curves."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import cli_errors, info


class PlotKind(str, Enum):
    per_class = "per-class"
    confusion = "confusion"
    pr = "pr"


def register(app: typer.Typer) -> None:
    app.command("plot")(plot)


def plot(
    result: Path = typer.Argument(..., help="Result record (JSON)."),
    kind: PlotKind = typer.Option(..., "--kind", "-k",
                                  help="per-class: sorted per-class bars; confusion: normalised confusion matrix "
                                       "(semantic); pr: COCO precision-recall per IoU threshold (instance)."),
    out: Path = typer.Option(..., "--out", "-o", help="Image file, .png or .svg."),
    size: Optional[str] = typer.Option(None, "--size", help="WIDTHxHEIGHT in pixels (default per kind, e.g. 1000x600)."),
) -> None:
    """Draw a figure from a result record (needs matplotlib: the 'plot' extra)."""
    with cli_errors():
        from segbench.report.plots import check_output, parse_size, plot as draw
        from segbench.report.validate import load_result

        check_output(out)
        dims = parse_size(size) if size else None
        record = load_result(result)
        draw(record, kind.value, out, dims, source=str(result))
        info(f"wrote {out}")
