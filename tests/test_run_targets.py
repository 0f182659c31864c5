"""The acceptance figures of `segbench run` (minutes of CPU training each).

Marked slow and opt-in: ``SEGBENCH_RUN_TARGETS=1 python -m pytest tests/test_run_targets.py``
(about 8 minutes on 2 free cores). The default suite covers the same code paths with one-epoch
runs (tests/test_run.py); these check the trained numbers stated in README.md.
"""

import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from segbench.engine.train import RunConfig, run  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("SEGBENCH_RUN_TARGETS") != "1",
                                 reason="opt-in: set SEGBENCH_RUN_TARGETS=1 (trains models for minutes)")]


def _run(tmp_path, model, dataset="shapes", **kw):
    return run(RunConfig(model=model, dataset=dataset, out=tmp_path / model, quiet=True, **kw))


def test_unet_shapes_defaults(tmp_path):
    rec = _run(tmp_path, "unet")
    assert rec["metrics"]["miou"] > 0.8
    assert min(c["iou"] for c in rec["per_class"]) > 0.5  # not background-only


def test_fcn8s_beats_fcn32s(tmp_path):
    m32 = _run(tmp_path, "fcn32s")["metrics"]["miou"]
    m8 = _run(tmp_path, "fcn8s")["metrics"]["miou"]
    assert m8 > m32 + 0.05


def test_unet_nuclei_foreground_iou(tmp_path):
    rec = _run(tmp_path, "unet", "nuclei")
    assert rec["per_class"][1]["name"] == "nucleus" and rec["per_class"][1]["iou"] > 0.8


def test_maskrcnn_shapes_lite_mask_ap(tmp_path):
    rec = _run(tmp_path, "maskrcnn", preset="lite")
    assert rec["metrics"]["AP"] > 0.05
