"""``segbench models``: the model registry as a table (parameters, forward time, output stride)."""

from __future__ import annotations

from typing import List, Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, require_torch


def register(app: typer.Typer) -> None:
    app.command("models")(models)


def models(
    names: Optional[List[str]] = typer.Argument(None, help="Models to show (default: all)."),
    preset: str = typer.Option("lite", "--preset", help="lite or full."),
    input_shape: str = typer.Option("3x512x512", "--input", help="Input CxHxW for the timing."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto."),
    classes: int = typer.Option(21, "--classes", help="Number of classes to build with."),
    repeats: int = typer.Option(1, "--repeats", help="Timed forward passes (after one warm-up); 0 = no timing."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """List the registered models like the FCN paper's comparison table."""
    with cli_errors():
        require_torch("segbench models")
        from segbench.models.table import model_table

        table, record = model_table(names or None, preset, input_shape, device, classes, repeats)
        if fmt is OutputFormat.json:
            import sys

            from segbench.report.tables import render_json

            sys.stdout.write(render_json(record))
            return
        emit(record, [table], fmt)
