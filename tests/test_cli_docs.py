"""docs/cli.md is generated from --help; it must be current (regenerate: python scripts/gen_cli_docs.py)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_cli_docs.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_docs_are_current():
    gen = load_script()
    assert gen.DOC.exists(), "docs/cli.md is missing; run: python scripts/gen_cli_docs.py"
    assert gen.DOC.read_text(encoding="utf-8") == gen.render(), "docs/cli.md is out of date; run: python scripts/gen_cli_docs.py"


def test_every_command_is_documented():
    gen = load_script()
    from segbench.cli.main import app

    text = gen.render()
    for path in gen.command_paths(app):
        assert f"## `{' '.join(('segbench',) + path)}`" in text
    assert "## `segbench leaderboard check`" in text and "## `segbench compare`" in text
