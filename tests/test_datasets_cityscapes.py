"""Cityscapes adapter: parity with cityscapesScripts' evalPixelLevelSemanticLabeling on a tree in
the official layout (class IoU, mIoU, iIoU, category IoU/iIoU), ignoreInEval and unlabeled
predictions included."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from dataset_trees import cityscapes_predictions, make_cityscapes, save_l, save_rgb
from segbench.datasets.base import get_dataset
from segbench.engine.dataset_eval import dataset_semantic_record, evaluate_semantic_dataset
from segbench.errors import FormatError, InputError, LabelRangeError, MissingPredictionError

ev = pytest.importorskip("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling")


@pytest.fixture
def official(monkeypatch):
    """Run the official evaluator on explicit file lists (no globbing, no JSON export, quiet).

    cityscapesScripts 2.3.0 calls np.in1d, removed in numpy 2.4: patched here only."""
    if not hasattr(np, "in1d"):
        monkeypatch.setattr(np, "in1d", lambda a, b, invert=False: np.isin(a, b, invert=invert).ravel(), raising=False)
    monkeypatch.setattr(ev.args, "JSONOutput", False)
    monkeypatch.setattr(ev.args, "quiet", True)
    monkeypatch.setattr(ev.args, "evalInstLevelScore", True)
    monkeypatch.setattr(ev.args, "evalPixelAccuracy", False)

    def run(preds, gts):
        return ev.evaluateImgLists([str(p) for p in preds], [str(g) for g in gts], ev.args)

    return run


def _gt_files(root, split="val"):
    return sorted((root / "gtFine" / split).glob("*/*_gtFine_labelIds.png"))


def _same(a, b):
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or math.isnan(b)
    return b is not None and not math.isnan(b) and a == pytest.approx(b, rel=1e-12, abs=1e-15)


def _compare(record, result, adapter):
    m = record["metrics"]
    assert _same(m["miou"], result["averageScoreClasses"])
    assert _same(m["iiou"], result["averageScoreInstClasses"])
    assert _same(m["cat_miou"], result["averageScoreCategories"])
    assert _same(m["cat_iiou"], result["averageScoreInstCategories"])
    for row in record["per_class"]:
        assert _same(row["iou"], result["classScores"][row["name"]]), row["name"]
        assert _same(row["iiou"], result["classInstScores"][row["name"]]), row["name"]
    for g in record["per_category"]:
        assert _same(g["iou"], result["categoryScores"][g["name"]]), g["name"]
        assert _same(g["iiou"], result["categoryInstScores"][g["name"]]), g["name"]
    # the folded 19-class statistics give the same class mIoU as the 34x34 official matrix
    assert np.array_equal(np.asarray(record["stats"]["raw_confusion"]), np.asarray(result["confMatrix"]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parity_with_cityscapesscripts(tmp_path, official, seed):
    rng = np.random.default_rng(seed)
    root = tmp_path / "cityscapes"
    make_cityscapes(root, rng)
    preds = cityscapes_predictions(root, tmp_path / "pred", rng)
    result = official(preds, _gt_files(root))
    adapter = get_dataset("cityscapes")
    ev_ = evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred", jobs=2)
    record = dataset_semantic_record(ev_, adapter, root=root, split="val")
    assert record["convention"] == "cityscapes"
    _compare(record, result, adapter)
    # predictions really contain ignoreInEval ids and unlabeled on evaluated pixels
    raw = np.asarray(record["stats"]["raw_confusion"])
    evaluated = [r.id for r in adapter.table.rows if not r.ignore_in_eval]
    assert raw[np.ix_(evaluated, [0, 4, 9, 29])].sum() > 0


def test_parity_trainids_and_colour_predictions(tmp_path, official):
    """trainIds (255 = none -> labelId 0) and colour PNGs evaluate like the equivalent labelIds."""
    rng = np.random.default_rng(7)
    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("munster", 3),))
    adapter = get_dataset("cityscapes")
    t = adapter.table
    label_preds = cityscapes_predictions(root, tmp_path / "labelids", rng)
    to_train = np.full(256, 255, np.int64)
    for r in t.rows:
        if t.raw_to_eval[r.id] >= 0:
            to_train[r.id] = t.raw_to_eval[r.id]
    lut_rgb = np.zeros((256, 3), np.uint8)
    for r in t.rows:
        lut_rgb[r.id] = r.color
    back = []
    for p in label_preds:
        lab = np.asarray(Image.open(p)).astype(np.int64)
        train = to_train[lab]
        save_l(tmp_path / "trainids" / p.name, train)
        equivalent = np.where(train == 255, 0, t.eval_to_raw[np.minimum(train, 18)])
        back.append(save_l(tmp_path / "equiv" / p.name, equivalent))
        save_rgb(tmp_path / "colour" / p.name, lut_rgb[equivalent])
    result = official(back, _gt_files(root))
    for folder, ids in (("trainids", "trainIds"), ("colour", None)):
        e = evaluate_semantic_dataset(adapter, root, "val", tmp_path / folder, pred_ids=ids, jobs=1)
        _compare(dataset_semantic_record(e, adapter), result, adapter)


def test_default_convention_matches_trainid_folder_eval(tmp_path):
    """--convention default == plain folder evaluation of trainId maps (mmseg numbers)."""
    from segbench.api import evaluate_semantic, semantic_record

    rng = np.random.default_rng(3)
    root = tmp_path / "cs"
    make_cityscapes(root, rng)
    adapter = get_dataset("cityscapes")
    t = adapter.table
    evaluated = [int(r) for r in t.eval_to_raw]
    cityscapes_predictions(root, tmp_path / "pred", rng, flat=False, values=evaluated)
    lut = t.gt_lut(255)
    for gt in _gt_files(root):
        save_l(tmp_path / "gt_train" / gt.parent.name / f"{gt.name[:-len('_gtFine_labelIds.png')]}.png",
               lut[np.asarray(Image.open(gt))])
    folder = semantic_record(evaluate_semantic(tmp_path / "gt_train", _to_train(tmp_path, lut), 19, 255))
    e = evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred", convention="default")
    rec = dataset_semantic_record(e, adapter)
    for k in ("pixel_acc", "mean_acc", "miou", "fwiou"):
        assert rec["metrics"][k] == pytest.approx(folder["metrics"][k], rel=1e-12)
    assert "iiou" not in rec["metrics"]


def _to_train(tmp_path, lut):
    out = tmp_path / "pred_train"
    for p in sorted((tmp_path / "pred").rglob("*.png")):
        save_l(out / p.relative_to(tmp_path / "pred"), lut[np.asarray(Image.open(p))])
    return out


def test_default_convention_refuses_ignored_predictions(tmp_path):
    rng = np.random.default_rng(4)
    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("ulm", 1),))
    cityscapes_predictions(root, tmp_path / "pred", rng, values=[0])
    with pytest.raises(LabelRangeError, match=r"label id 0 \('unlabeled', not evaluated\)"):
        evaluate_semantic_dataset(get_dataset("cityscapes"), root, "val", tmp_path / "pred", convention="default")
    # mapillary-style: those pixels are dropped, not missed
    e = evaluate_semantic_dataset(get_dataset("cityscapes"), root, "val", tmp_path / "pred", convention="mapillary")
    c = evaluate_semantic_dataset(get_dataset("cityscapes"), root, "val", tmp_path / "pred", convention="cityscapes")
    assert e.stats.class_counts()[1].sum() < c.stats.class_counts()[1].sum()
    assert np.array_equal(e.stats.confusion, c.stats.confusion)


def test_bad_inputs(tmp_path):
    rng = np.random.default_rng(5)
    root = tmp_path / "cs"
    adapter = get_dataset("cityscapes")
    with pytest.raises(InputError, match=r"gtFine/val: expected the Cityscapes gtFine/val folder"):
        adapter.samples(tmp_path, "val")
    make_cityscapes(root, rng, cities=(("bonn", 2),))
    (root / "gtFine" / "train").mkdir()
    with pytest.raises(InputError, match="split 'train' has no images"):
        adapter.samples(root, "train")
    with pytest.raises(InputError, match="has no split 'testing'"):
        adapter.samples(root, "testing")
    preds = cityscapes_predictions(root, tmp_path / "pred", rng)
    preds[0].unlink()
    with pytest.raises(MissingPredictionError, match="1 of 2 images"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred")
    e = evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred", allow_missing=True)
    assert len(e.missing) == 1 and e.stats.missed.sum() > 0
    bad = np.asarray(Image.open(preds[1])).copy()
    bad[2, 3] = 40
    save_l(preds[1], bad)
    save_l(preds[0], bad)
    with pytest.raises(LabelRangeError, match=r"predicted label id 40 is not in the cityscapes label table"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred")
    save_l(tmp_path / "pred" / preds[0].name, bad[:10])
    with pytest.raises(InputError, match="expected the same size"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred")
    with pytest.raises(LabelRangeError, match=r"trainId \d+ is not a class of cityscapes; expected 0..18 or 255"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred", pred_ids="trainIds")
    good = cityscapes_predictions(root, tmp_path / "pred_ok", rng)
    bad255 = np.asarray(Image.open(good[0])).copy()
    bad255[0, 0] = 255  # the value that segfaults cityscapesScripts' Cython path (#66)
    save_l(good[0], bad255)
    with pytest.raises(LabelRangeError, match=r"predicted label id 255 is not in the cityscapes label table \(valid ids: 0..33\)"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred_ok")
    save_l(good[0], np.where(bad255 == 255, 7, bad255))
    inst = sorted((root / "gtFine" / "val").glob("*/*_instanceIds.png"))[0]
    inst.rename(inst.with_suffix(".bak"))
    with pytest.raises(InputError, match=r"gtFine_instanceIds.png: expected the Cityscapes gtFine_instanceIds file here"):
        evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred_ok")
    assert evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred_ok", convention="mapillary").stats.num_images == 2
    inst.with_suffix(".bak").rename(inst)
    gt = _gt_files(root)[0]
    g = np.asarray(Image.open(gt)).copy()
    g[0, 0] = 200
    save_l(gt, g)
    with pytest.raises(LabelRangeError, match=r"gtFine_labelIds.png: ground-truth label id 200 is not in"):
        adapter.load_semantic(adapter.samples(root, "val")[0])


def test_label_table_is_cityscapesscripts(monkeypatch):
    from cityscapesscripts.helpers import labels as cs

    from segbench.datasets.adapters import cityscapes as mod

    builtin = mod._ROWS
    official = [(l.name, l.id, l.trainId, l.category, l.categoryId, l.hasInstances, l.ignoreInEval, tuple(l.color))
                for l in cs.labels]
    assert builtin == official
    assert mod.AVG_CLASS_SIZE == ev.args.avgClassSize
    names = [c.name for c in get_dataset("cityscapes").classes()]
    assert names == [cs.trainId2label[i].name for i in range(19)]


def test_load_instances_and_semantic(tmp_path):
    rng = np.random.default_rng(9)
    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("zurich", 1),))
    adapter = get_dataset("cityscapes")
    s = adapter.samples(root, "val")[0]
    sem = adapter.load_semantic(s)
    assert sem.dtype == np.uint8 and set(np.unique(sem)) <= set(range(19)) | {255}
    inst = adapter.load_instances(s)
    assert inst.masks.shape[1:] == sem.shape and len(inst.classes) == inst.masks.shape[0]
    things = adapter.thing_classes()
    assert [c.name for c in things] == ["person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"]
    assert adapter.load_image(s).shape == sem.shape + (3,)


def test_prediction_names_as_cityscapesscripts_finds_them(tmp_path, official, monkeypatch):
    """cityscapesScripts' getPrediction takes any "{city}_{seq}_{frame}*.png" under the folder:
    names where no underscore follows the frame number were reported missing."""
    rng = np.random.default_rng(11)
    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("aachen", 2), ("ulm", 1)))
    preds = cityscapes_predictions(root, tmp_path / "flat", rng)
    gts = _gt_files(root)
    out = tmp_path / "pred"
    for k, (gt, p) in enumerate(zip(gts, preds)):
        key = gt.name[: -len("_gtFine_labelIds.png")]
        name = (f"{key}pred.png", f"sub/{key}.pred.png", f"{gt.parent.name}/{key}-labelIds.png")[k]
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        p.rename(out / name)
    monkeypatch.setattr(ev.args, "predictionPath", str(out))
    monkeypatch.setattr(ev.args, "predictionWalk", None)
    result = official([ev.getPrediction(ev.args, str(g)) for g in gts], gts)
    adapter = get_dataset("cityscapes")
    e = evaluate_semantic_dataset(adapter, root, "val", out, jobs=1)
    assert not e.missing and not e.extra
    _compare(dataset_semantic_record(e, adapter), result, adapter)
    # two such candidates for one image: an error, as in cityscapesScripts
    key = gts[0].name[: -len("_gtFine_labelIds.png")]
    save_l(out / f"{key}x.png", np.zeros((2, 2)))
    with pytest.raises(FormatError, match=r"found 2 predictions for aachen/aachen_000000_000019"):
        evaluate_semantic_dataset(adapter, root, "val", out, jobs=1)


def test_hidden_files_are_not_images(tmp_path, official):
    """cityscapesScripts globs gtFine/val/*/*_gtFine_labelIds.png with glob.glob, which skips hidden
    names: macOS "._*" AppleDouble files and hidden folders were read as images (a 'not a PNG'
    error, or an extra image with its own prediction)."""
    rng = np.random.default_rng(12)
    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("bonn", 2),))
    gts = _gt_files(root)
    preds = cityscapes_predictions(root, tmp_path / "pred", rng)
    (gts[0].parent / f"._{gts[0].name}").write_bytes(b"\x00\x05\x16\x07 Mac OS X resource fork")
    hidden = root / "gtFine" / "val" / ".trash" / gts[1].name
    hidden.parent.mkdir()
    hidden.write_bytes(gts[1].read_bytes())
    result = official(preds, gts)
    adapter = get_dataset("cityscapes")
    assert [s.name for s in adapter.samples(root, "val")] == [f"bonn/{g.name[:-len('_gtFine_labelIds.png')]}" for g in gts]
    e = evaluate_semantic_dataset(adapter, root, "val", tmp_path / "pred", jobs=1)
    _compare(dataset_semantic_record(e, adapter), result, adapter)
