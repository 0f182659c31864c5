"""The evaluator installs and runs without torch: every `segbench eval` path, synth, compare and
datasets work in a process where importing torch/torchvision fails."""

import subprocess
import sys
import textwrap


def test_evaluator_runs_with_torch_blocked(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["torch"] = None          # any `import torch` now raises ImportError
        sys.modules["torchvision"] = None
        from typer.testing import CliRunner
        from segbench.cli.main import app
        out = {str(tmp_path)!r}
        r = CliRunner()
        def ok(*args):
            res = r.invoke(app, [str(a) for a in args])
            assert res.exit_code == 0, (args, res.output, res.exception)
        ok("synth", out + "/d", "--images", "4", "--size", "64x80", "--classes", "6")
        ok("eval", "semantic", "--gt", out + "/d/semantic/gt", "--pred", out + "/d/semantic/pred",
           "--num-classes", "6", "--json", out + "/s.json")
        ok("eval", "instance", "--gt", out + "/d/instance/instances.json",
           "--pred", out + "/d/instance/results.json", "--json", out + "/i.json")
        ok("eval", "panoptic", "--gt", out + "/d/panoptic/gt.json", "--gt-dir", out + "/d/panoptic/gt",
           "--pred", out + "/d/panoptic/pred.json", "--pred-dir", out + "/d/panoptic/pred", "--json", out + "/p.json")
        ok("compare", out + "/s.json", out + "/i.json", out + "/p.json", "--format", "markdown")
        ok("datasets")
        for args in (["models"], ["run", "unet", "shapes", "--epochs", "1"]):
            res = r.invoke(app, args)
            assert res.exit_code == 2 and "needs torch and torchvision" in res.output, (args, res.output)
        assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
        print("NO-TORCH-OK")
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "NO-TORCH-OK" in res.stdout
