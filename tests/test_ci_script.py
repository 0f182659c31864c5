"""scripts/ci-leaderboard.sh against a stand-in for `segbench run` (training itself is tested elsewhere):
seeding the board, a clean check (exit 0), an injected regression (exit 1), a failed run (exit 2)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ci-leaderboard.sh"

STUB = '''
import json, os, sys
sys.path.insert(0, {tests!r})
sys.path.insert(0, {root!r})
args = sys.argv[1:]
if args[0] == "run":
    if os.environ.get("STUB_FAIL"):
        sys.exit(3)
    from _report_records import semantic
    model = args[1]
    seed = int(args[args.index("--seed") + 1])
    rec = semantic(model, seed + len(model), 0.7)
    rec["meta"]["preset"] = args[args.index("--preset") + 1]
    rec["metrics"]["miou"] -= float(os.environ.get("STUB_MIOU_DROP", "0"))
    with open(args[args.index("--json") + 1], "w") as f:
        json.dump(rec, f)
    sys.exit(0)
from segbench.cli.main import app
app(args, prog_name="segbench")
'''


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_script_gate(tmp_path):
    stub = tmp_path / "stub.py"
    stub.write_text(STUB.format(tests=str(ROOT / "tests"), root=str(ROOT)))
    env = {**os.environ, "SEGBENCH": f"{sys.executable} {stub}", "LEADERBOARD_DIR": str(tmp_path / "boards"),
           "OUT": str(tmp_path / "out"), "PYTHONPATH": str(ROOT)}

    def script(*args, **extra):
        return subprocess.run(["bash", str(SCRIPT), *args], env={**env, **extra}, capture_output=True, text=True,
                              timeout=300)

    seeded = script("--seed-board")
    assert seeded.returncode == 0, seeded.stderr
    board = (tmp_path / "boards" / "shapes-semantic.json").read_text()
    assert '"unet"' in board and '"fcn8s"' in board and "segbench run unet shapes --preset lite" in board
    assert (tmp_path / "boards" / "README.md").exists()

    ok = script()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    within = script(STUB_MIOU_DROP="0.004")
    assert within.returncode == 0, within.stdout + within.stderr
    regressed = script(STUB_MIOU_DROP="0.02")
    assert regressed.returncode == 1, regressed.stdout + regressed.stderr
    assert "REGRESSED" in regressed.stdout
    failed = script(STUB_FAIL="1")
    assert failed.returncode == 2
    missing_board = script(BOARD="nope")
    assert missing_board.returncode == 2
