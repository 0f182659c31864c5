"""``segbench leaderboard add|show|render|check``: result boards and the CI regression gate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from segbench.cli.common import TableFormat, cli_errors, info

app = typer.Typer(help="Leaderboards: one JSON file per benchmark; a regression check for CI.",
                  no_args_is_help=True)

DIR_HELP = "Folder of the board files NAME.json."


def _load_entries(board: str, directory: Path, must_exist: bool = True) -> list[dict]:
    """The board's entries, each metric checked like a result record's (null or a fraction in [0, 1])."""
    from segbench.errors import FormatError
    from segbench.leaderboard.board import board_path, load_board
    from segbench.report.validate import validate_board_entries

    path = board_path(board, directory)
    try:
        entries = load_board(board, directory, must_exist=must_exist)
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise FormatError(f"{path}: not a readable leaderboard ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:120]})") from None
    return validate_board_entries(entries, path)


def _check_dir(directory: Path) -> None:
    from segbench.errors import InputError

    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        raise InputError(f"--dir {directory}: {what}; expected the folder of the board files NAME.json")


def _print_tables(tables, fmt: str) -> None:
    from segbench.report.tables import render

    if fmt == "table":
        from segbench.cli.compare_cmd import print_terminal_tables

        print_terminal_tables(tables)
    else:
        sys.stdout.write(render(tables, fmt))


@app.command("add")
def add(
    result: Path = typer.Argument(..., help="Result record (JSON)."),
    board: str = typer.Option(..., "--board", "-b", help="Board name: the file NAME.json in --dir (created if new)."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite the entry of the same model and preset."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (default: the record's)."),
    command: Optional[str] = typer.Option(None, "--command", help="The command that produced the result (default: the record's meta.command)."),
    directory: Path = typer.Option(Path("leaderboards"), "--dir", help=DIR_HELP),
) -> None:
    """Add a result to a board (atomic write; refuses a duplicate model+preset unless --replace)."""
    with cli_errors():
        from segbench.leaderboard.board import add_entry, entry_from_record, save_board
        from segbench.report.validate import load_result

        record = load_result(result)
        entries = _load_entries(board, directory, must_exist=False)
        entry = entry_from_record(record, str(result), model=model, command=command)
        path = save_board(board, add_entry(entries, entry, replace=replace, board=board), directory)
        info(f"{'replaced' if replace else 'added'} {entry['model']} on {path}")


@app.command("show")
def show(
    board: str = typer.Argument(..., help="Board name."),
    directory: Path = typer.Option(Path("leaderboards"), "--dir", help=DIR_HELP),
    fmt: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Output format."),
) -> None:
    """Print a board, ranked by its main metric (mIoU, AP or PQ), best values bold."""
    with cli_errors():
        from segbench.leaderboard.check import board_table

        entries = _load_entries(board, directory)
        if not entries:
            info(f"board {board!r} is empty")
            return
        _print_tables([board_table(board, entries)], fmt.value)


@app.command("render")
def render_cmd(
    directory: Path = typer.Option(Path("leaderboards"), "--dir", help=DIR_HELP),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default: DIR/README.md)."),
) -> None:
    """Write every board of --dir as Markdown tables into DIR/README.md."""
    with cli_errors():
        from segbench.leaderboard.board import list_boards
        from segbench.leaderboard.render import write_readme

        _check_dir(directory)
        for name in list_boards(directory):
            _load_entries(name, directory)
        path = write_readme(directory, out)
        info(f"wrote {path}")


@app.command("check")
def check(
    result: Path = typer.Argument(..., help="Result record (JSON) to check."),
    board: str = typer.Option(..., "--board", "-b", help="Board name: the file NAME.json in --dir."),
    tolerance: float = typer.Option(0.5, "--tolerance", "-t", help="Allowed drop per metric, in percentage points."),
    metrics: Optional[List[str]] = typer.Option(None, "--metrics", "-m",
                                                help="Metrics to check, comma-separated (default: all on the board entry)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (default: the record's)."),
    directory: Path = typer.Option(Path("leaderboards"), "--dir", help=DIR_HELP),
    fmt: TableFormat = typer.Option(TableFormat.table, "--format", "-f", help="Format of the comparison table."),
) -> None:
    """Exit 0 when no metric dropped more than --tolerance below the board's entry for the model,
    1 (with a table of the regressions) when one did, 2 on bad input."""
    with cli_errors():
        import math

        from segbench.errors import InputError, RegressionError
        from segbench.leaderboard.check import check_result
        from segbench.report.validate import load_result

        if not (math.isfinite(tolerance) and tolerance >= 0.0):
            raise InputError(f"--tolerance {tolerance}: expected a finite, non-negative number of percentage points")
        names = [v.strip() for item in metrics or [] for v in item.split(",") if v.strip()] or None
        record = load_result(result)
        entries = _load_entries(board, directory)
        report = check_result(record, entries, board=board, tolerance=tolerance, metrics=names,
                              model=model, source=str(result))
        for note in report.notes:
            info(note)
        # all compared metrics when the check passes; only the regressions when it fails
        _print_tables([report.table(only_regressions=not report.ok)], fmt.value)
        if not report.ok:
            worst = ", ".join(f"{c.metric} {'missing' if c.delta is None else f'{100 * c.delta:+.1f}'}"
                              for c in report.regressions)
            raise RegressionError(f"{result}: {len(report.regressions)} metric(s) regressed beyond "
                                  f"{tolerance:g} pp against board {board!r} ({worst})")
        info(f"ok: no metric dropped more than {tolerance:g} pp against board {board!r}")
