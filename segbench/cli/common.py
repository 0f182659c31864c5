"""Shared CLI plumbing: error boundary, output formats, atomic result writing."""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path

import typer

from segbench.errors import SegbenchError

STATE = {"debug": False}


class OutputFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    latex = "latex"
    csv = "csv"
    json = "json"


class TableFormat(str, Enum):
    """Formats of commands that print comparison tables (adds HTML)."""

    table = "table"
    markdown = "markdown"
    latex = "latex"
    csv = "csv"
    json = "json"
    html = "html"


def print_error(message: str) -> None:
    """``error: <message>`` in red on stderr; the message is printed as it is (no markup, emoji)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, soft_wrap=True).print(Text.assemble(("error:", "bold red"), " ", message))


@contextlib.contextmanager
def cli_errors():
    """Turn SegbenchError into a one-line red message and its exit code (2; 1 for regressions)."""
    try:
        yield
    except SegbenchError as exc:
        if STATE["debug"]:
            raise
        print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        print_error("interrupted; nothing was written")
        raise typer.Exit(130) from None
    except MemoryError:  # a backstop: sizes that can be checked up front are checked there
        if STATE["debug"]:
            raise
        print_error("out of memory; nothing was written (a smaller input, fewer --jobs or more memory is needed)")
        raise typer.Exit(2) from None


def parse_ignore_index(text: str) -> int | None:
    from segbench.errors import InputError

    if text.strip().lower() in ("none", ""):
        return None
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"--ignore-index {text!r}: expected an integer label value or 'none'") from None
    return value


def emit(record: dict, tables, fmt: OutputFormat | str, json_path: Path | None = None) -> None:
    """Write ``record`` to ``json_path`` (atomically) and print the result in ``fmt`` to stdout."""
    from segbench.record import write_record

    if json_path is not None:
        write_record(json_path, record)
    print_tables(tables, fmt, record)


def print_tables(tables, fmt: "OutputFormat | str", json_payload) -> None:
    """Print ``tables`` to stdout: rich in the terminal, else the named renderer; ``json`` prints
    ``json_payload`` (the record or object the tables were made from)."""
    from segbench.report.tables import render, render_json, rich_tables

    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        sys.stdout.write(render_json(json_payload))
    elif fmt == "table":
        from rich.console import Console

        console = Console()
        for t in rich_tables(tables):
            console.print(t)
    else:
        sys.stdout.write(render(tables, fmt))


def require_torch(command: str) -> None:
    """Fail with a one-line error when torch/torchvision are missing or broken.

    A torch build that cannot load the installed torchvision raises RuntimeError (not
    ImportError) on import, so both are caught.
    """
    from segbench.errors import InputError

    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError, OSError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise InputError(f"{command} needs torch and torchvision ({type(exc).__name__}: {reason}); "
                         f"expected `pip install segbench[train]` with a torchvision matching torch") from None


def info(message: str) -> None:
    """A dim note on stderr (never mixed into machine-readable stdout)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, soft_wrap=True).print(Text(message, style="dim"))
