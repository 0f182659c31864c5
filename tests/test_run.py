"""``segbench run``: one-epoch smoke training per task, resume equivalence, bad input."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from typer.testing import CliRunner  # noqa: E402

from segbench.cli.main import app  # noqa: E402
from segbench.datasets.adapters.shapes import ShapesDataset  # noqa: E402
from segbench.datasets.base import DATASETS, register_dataset  # noqa: E402
from segbench.engine.train import RunConfig, run  # noqa: E402
from segbench.errors import InputError  # noqa: E402

TINY = {"train_size": 8, "val_size": 3, "size": (64, 64)}

if "shapes-semantic-only" not in DATASETS:
    @register_dataset("shapes-semantic-only")
    class SemanticOnlyShapes(ShapesDataset):
        tasks = ("semantic",)


def _run(tmp_path, model, epochs=1, dataset="shapes", **kw):
    cfg = RunConfig(model=model, dataset=dataset, epochs=epochs, batch_size=kw.pop("batch_size", 4),
                    out=tmp_path / model, quiet=True, dataset_options=dict(TINY), **kw)
    return run(cfg)


def test_semantic_one_epoch(tmp_path):
    rec = _run(tmp_path, "fcn8s")
    assert rec["task"] == "semantic" and rec["model"] == "fcn8s" and rec["dataset"] == "shapes"
    assert 0 <= rec["metrics"]["pixel_acc"] <= 1
    meta = rec["meta"]
    assert meta["preset"] == "lite" and meta["epochs"] == 1 and meta["parameters"] > 0
    assert meta["inference_seconds_per_image"] > 0 and meta["num_images"] == 3
    assert len(meta["history"]) == 1
    assert (tmp_path / "fcn8s" / "checkpoint.pt").is_file()
    assert json.loads((tmp_path / "fcn8s" / "result.json").read_text())["metrics"] == rec["metrics"]
    cm = rec["stats"]["confusion"]
    assert sum(map(sum, cm)) > 0


def test_instance_one_epoch(tmp_path):
    rec = _run(tmp_path, "maskrcnn")
    assert rec["task"] == "instance"
    assert set(rec["metrics"]) >= {"AP", "AP50", "AP75", "AR100"}
    assert [c["name"] for c in rec["per_class"]] == ["circle", "square", "triangle", "diamond"]


def test_panoptic_one_epoch(tmp_path):
    rec = _run(tmp_path, "panoptic-fpn")
    assert rec["task"] == "panoptic"
    assert set(rec["metrics"]) >= {"PQ", "SQ", "RQ", "PQ_th", "PQ_st"}


class _Interrupt(Exception):
    pass


def _interrupt_after_first_epoch(entry):
    raise _Interrupt  # after the epoch's checkpoint was written, as a killed run would leave it


def test_resume_equals_uninterrupted_run(tmp_path):
    full = _run(tmp_path / "a", "segnet", epochs=2)
    cfg = RunConfig(model="segnet", dataset="shapes", epochs=2, batch_size=4, out=tmp_path / "b" / "segnet",
                    quiet=True, dataset_options=dict(TINY))
    with pytest.raises(_Interrupt):
        run(cfg, on_epoch=_interrupt_after_first_epoch)
    assert not (tmp_path / "b" / "segnet" / "result.json").exists()
    resumed = run(RunConfig(model="segnet", dataset="shapes", epochs=2, batch_size=4, out=tmp_path / "b" / "segnet",
                            resume=True, quiet=True, dataset_options=dict(TINY)))
    assert resumed["metrics"] == full["metrics"]
    assert [h["loss"] for h in resumed["meta"]["history"]] == [h["loss"] for h in full["meta"]["history"]]
    a = torch.load(tmp_path / "a" / "segnet" / "checkpoint.pt", weights_only=False)["model_state"]
    b = torch.load(tmp_path / "b" / "segnet" / "checkpoint.pt", weights_only=False)["model_state"]
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_same_seed_same_result_and_weights_flag(tmp_path):
    r1 = _run(tmp_path / "a", "deeplabv1")
    r2 = _run(tmp_path / "b", "deeplabv1", epochs=0, weights=tmp_path / "a" / "deeplabv1" / "checkpoint.pt")
    assert r2["metrics"] == r1["metrics"]  # the checkpoint's weights, evaluated again


def test_task_mismatch_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="'maskrcnn' is an instance model but dataset 'shapes-semantic-only'"):
        _run(tmp_path, "maskrcnn", dataset="shapes-semantic-only")
    assert not (tmp_path / "maskrcnn").exists()


def test_resume_without_checkpoint(tmp_path):
    with pytest.raises(InputError, match="no checkpoint to resume from"):
        _run(tmp_path, "unet", resume=True)
    assert not (tmp_path / "unet").exists()


def test_resume_of_another_model(tmp_path):
    _run(tmp_path, "fcn32s", epochs=1)
    with pytest.raises(InputError, match="written for model 'fcn32s', not 'fcn8s'"):
        run(RunConfig(model="fcn8s", dataset="shapes", epochs=1, out=tmp_path / "fcn32s", resume=True, quiet=True,
                      dataset_options=dict(TINY)))


def test_weights_for_another_architecture(tmp_path):
    _run(tmp_path, "fcn32s", epochs=1)
    with pytest.raises(InputError, match="checkpoint is for model 'fcn32s', not 'unet'"):
        _run(tmp_path / "x", "unet", weights=tmp_path / "fcn32s" / "checkpoint.pt")


def test_batch_size_one_with_bn_pooling(tmp_path):
    with pytest.raises(InputError, match="--batch-size 1: model 'pspnet'"):
        _run(tmp_path, "pspnet", batch_size=1)


def test_cli_errors_are_one_line_exit_2(tmp_path):
    r = CliRunner().invoke(app, ["run", "maskrcnn", "shapes-semantic-only", "--out", str(tmp_path / "r")])
    assert r.exit_code == 2
    assert "no instance annotations" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(app, ["run", "unet", "shapes", "--resume", "--out", str(tmp_path / "none")])
    assert r.exit_code == 2 and "no checkpoint to resume from" in r.output
    r = CliRunner().invoke(app, ["run", "unet9", "shapes"])
    assert r.exit_code == 2 and "did you mean 'unet'" in r.output
    r = CliRunner().invoke(app, ["run", "unet", "shapes", "--size", "big"])
    assert r.exit_code == 2 and "expected HxW" in r.output


def test_models_command_json(tmp_path):
    r = CliRunner().invoke(app, ["models", "unet", "fcn8s", "--input", "3x64x64", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {m["name"]: m for m in json.loads(r.stdout)["models"]}
    assert rows["fcn8s"]["output_stride"] == 8 and rows["unet"]["output_stride"] == 1
    assert rows["unet"]["parameters"] > 0 and rows["unet"]["forward_ms"] > 0


def test_nuclei_dataset_split_and_targets():
    from segbench.datasets.base import get_dataset

    ds = get_dataset("nuclei")
    train, val = ds.samples(None, "train"), ds.samples(None, "val")
    assert len(train) == 35 and len(val) == 4
    assert all(s.extra["y"] + 128 <= 384 for s in train) and all(s.extra["y"] >= 384 for s in val)
    img = ds.load_image(val[0])
    sem = ds.load_semantic(val[0])
    inst = ds.load_instances(val[0])
    pan = ds.load_panoptic(val[0])
    assert img.shape == (128, 128, 3) and sem.shape == (128, 128)
    assert set(map(int, set(sem.ravel()))) == {0, 1}
    assert (inst.masks.any(0) == (sem == 1)).all() and len(inst.masks) > 3
    assert len(pan.segments_info) == len(inst.masks) + 1
    assert sum(s["area"] for s in pan.segments_info) == 128 * 128
