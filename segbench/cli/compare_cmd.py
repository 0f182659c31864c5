"""``segbench compare``: paper-style comparison tables over result records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from segbench.cli.common import TableFormat, cli_errors, info


SUFFIX_FORMATS = {".md": "markdown", ".tex": "latex", ".csv": "csv", ".json": "json", ".html": "html",
                  ".htm": "html", ".txt": "table"}


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)


def print_terminal_tables(tables) -> bool:
    """Print rich tables; a table wider than the terminal is printed at its natural width (the
    terminal wraps the lines) rather than squeezed into unreadable truncated cells. Returns
    whether everything fitted."""
    from rich.console import Console

    from segbench.report.tables import rich_tables

    console = Console()
    fitted = True
    for t in rich_tables(tables):
        need = Console(width=10_000).measure(t).maximum
        if need > console.width:
            fitted = False
            Console(width=need, soft_wrap=True).print(t)
        else:
            console.print(t)
    return fitted


def _split(values: Optional[List[str]]) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def compare(
    results: List[Path] = typer.Argument(..., help="Result records (JSON from --json of eval/run)."),
    metrics: Optional[List[str]] = typer.Option(None, "--metrics", "-m",
                                                help="Columns, comma-separated keys or headers (miou,fwiou; AP,AP50; PQ). Default: all."),
    per_class: bool = typer.Option(False, "--per-class", help="The wide per-class table (IoU / AP / PQ per class) instead."),
    sort: Optional[str] = typer.Option(None, "--sort", help="Order rows by this metric, best first."),
    fmt: Optional[TableFormat] = typer.Option(None, "--format", "-f",
                                                help="Output format (default: from --out's extension, else table)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the output to this file (atomically) instead of stdout."),
    caption: Optional[str] = typer.Option(None, "--caption", help="Table caption (LaTeX \\caption, HTML <caption>, ...)."),
    label: Optional[List[str]] = typer.Option(None, "--label", "-l",
                                              help="Row label, once per result in order (default: the record's model name)."),
    delta: Optional[str] = typer.Option(None, "--delta", help="Add the difference to this baseline row (label or file)."),
    ci: Optional[float] = typer.Option(None, "--ci", help="Add bootstrap confidence intervals over images at this level, e.g. 95."),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples for --ci."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed for --ci (same seed, same interval)."),
) -> None:
    """Compare results in one paper-style table per task: percent, best bold, '-' for missing."""
    with cli_errors():
        from segbench.fileio import atomic_write_text
        from segbench.report.compare import compare as build, load_results
        from segbench.report.tables import render

        chosen = fmt.value if fmt is not None else (SUFFIX_FORMATS.get(out.suffix.lower(), "table") if out else "table")
        loaded = load_results(results, label)
        comparison = build(loaded, metrics=_split(metrics), per_class=per_class, sort=sort, delta=delta,
                           ci=ci, resamples=resamples, seed=seed, caption=caption)
        for note in comparison.notes:
            info(note)
        if out is None and chosen == "table":
            if not print_terminal_tables(comparison.tables):
                info("the table is wider than the terminal; --metrics picks fewer columns")
            return
        text = render(comparison.tables, chosen)
        if out is not None:
            atomic_write_text(out, text)
            info(f"wrote {out}")
        else:
            sys.stdout.write(text)
