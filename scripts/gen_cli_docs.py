#!/usr/bin/env python3
"""Generate docs/cli.md from the CLI's own ``--help`` output.

    python scripts/gen_cli_docs.py            # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check    # exit 1 if docs/cli.md is out of date

Every command and sub-command registered on ``segbench.cli.main.app`` is walked, so a new command
appears after one regeneration. The help is rendered at a fixed width without colour, so the
output is the same on every machine. tests/test_cli_docs.py fails when the file is stale.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
WIDTH = "100"

HEADER = """# CLI reference

Generated from `segbench ... --help` by `python scripts/gen_cli_docs.py`; do not edit by hand
(`tests/test_cli_docs.py` fails when this file is out of date: regenerate it with that command).
"""


def _command_name(info) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def command_paths(app, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path in registration order: () for the root, then commands and groups."""
    paths = [prefix]
    for info in app.registered_commands:
        if not getattr(info, "hidden", False):
            paths.append(prefix + (_command_name(info),))
    for group in app.registered_groups:
        if not getattr(group, "hidden", False):
            paths += command_paths(group.typer_instance, prefix + (group.name,))
    return paths


def help_text(app, path: tuple[str, ...]) -> str:
    from typer.testing import CliRunner

    env = {"COLUMNS": WIDTH, "LINES": "50", "TERM": "dumb", "NO_COLOR": "1", "FORCE_COLOR": None,
           "TERMINAL_WIDTH": WIDTH}
    result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="segbench", color=False)
    if result.exit_code != 0:
        raise SystemExit(f"segbench {' '.join(path)} --help failed: {result.output}")
    lines = [line.rstrip() for line in result.output.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from segbench.cli.main import app

    parts = [HEADER]
    for path in command_paths(app):
        title = " ".join(("segbench",) + path)
        parts.append(f"\n## `{title}`\n\n```text\n{help_text(app, path)}\n```\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date; run: python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    tmp = DOC.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, DOC)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
