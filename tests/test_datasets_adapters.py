"""Every dataset adapter on a tiny tree in its real on-disk layout, evaluated end to end, with
independent references for the conventions (ADE20K toolkit, Mapillary deletion, reduce-zero-label)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dataset_trees import (blobs, label_predictions, make_voc, mapillary_config, noisy, save_jpg, save_l, save_rgb,
                           save_u16, write_json)
from segbench.api import evaluate_semantic, semantic_record
from segbench.datasets.base import dataset_names, get_dataset
from segbench.engine.dataset_eval import dataset_semantic_record, evaluate_semantic_dataset
from segbench.errors import InputError, LabelRangeError


def _run(name, root, split, pred, **kw):
    adapter = get_dataset(name)
    e = evaluate_semantic_dataset(adapter, root, split, pred, jobs=2, **kw)
    return dataset_semantic_record(e, adapter, root=root, split=split), e


def _folder_reference(tmp_path, gt_paths, pred_dir, lut_gt, lut_pred, n, ignore=255, key=lambda p: p.stem):
    """Plain folder evaluation (the foundation's, tested against mmseg/detectron2 elsewhere) of
    the GT and predictions mapped to evaluation ids with the given lookup tables."""
    g_dir, p_dir = tmp_path / "ref_gt", tmp_path / "ref_pred"
    for p in gt_paths:
        g = lut_gt[np.asarray(Image.open(p)).astype(np.int64)]
        save_u16(g_dir / f"{key(p)}.png", g) if ignore > 255 else save_l(g_dir / f"{key(p)}.png", g)
    for p in sorted(pred_dir.rglob("*.png")):
        q = lut_pred[np.asarray(Image.open(p)).astype(np.int64)]
        save_u16(p_dir / p.name, q) if ignore > 255 else save_l(p_dir / p.name, q)
    return semantic_record(evaluate_semantic(g_dir, p_dir, n, ignore))


# ------------------------------------------------------------------ VOC


def _voc_palette():
    from segbench.datasets.labels import default_palette

    return default_palette(256)


def test_voc2012_palette_gt_and_colour_predictions(tmp_path, rng):
    ids = {"train": ["2007_000032", "2007_000039"], "val": ["2007_000033", "2007_000042", "2008_000002"]}
    ids["trainval"] = sorted(ids["train"] + ids["val"])
    voc = make_voc(tmp_path, rng, ids, palette=_voc_palette())
    gts = [voc / "SegmentationClass" / f"{i}.png" for i in ids["val"]]
    label_predictions(gts, tmp_path / "pred", rng, list(range(21)))
    rec, e = _run("voc2012", tmp_path, "val", tmp_path / "pred")   # root above VOCdevkit
    assert e.stats.num_images == 3 and rec["meta"]["num_classes"] == 21
    ident = np.arange(256)
    ref = _folder_reference(tmp_path, gts, tmp_path / "pred", ident, ident, 21)
    for k in ("pixel_acc", "mean_acc", "miou", "fwiou"):
        assert rec["metrics"][k] == pytest.approx(ref["metrics"][k], rel=1e-12)
    # colour predictions (RGB in the VOC palette) give the same numbers
    pal = np.array(_voc_palette(), np.uint8)
    for p in sorted((tmp_path / "pred").glob("*.png")):
        save_rgb(tmp_path / "pred_rgb" / p.name, pal[np.asarray(Image.open(p))])
    rec2, _ = _run("voc2012", voc, "val", tmp_path / "pred_rgb")
    assert rec2["metrics"]["miou"] == rec["metrics"]["miou"]
    bad = np.asarray(Image.open(tmp_path / "pred_rgb" / f"{ids['val'][0]}.png")).copy()
    bad[1, 1] = (1, 2, 3)
    save_rgb(tmp_path / "pred_rgb" / f"{ids['val'][0]}.png", bad)
    with pytest.raises(LabelRangeError, match=r"colour \(1, 2, 3\) at \(row 1, col 1\) is not in the voc2012 colour table"):
        _run("voc2012", voc, "val", tmp_path / "pred_rgb")
    assert len(get_dataset("voc2012").samples(tmp_path, "trainval")) == 5


def test_voc2012_layout_errors(tmp_path, rng):
    with pytest.raises(InputError, match=r"expected a VOC2012 folder"):
        get_dataset("voc2012").samples(tmp_path, "val")
    voc = make_voc(tmp_path, rng, {"val": ["a1", "a2"], "train": []})
    with pytest.raises(InputError, match=r"train.txt: dataset 'voc2012' split 'train' has no images"):
        get_dataset("voc2012").samples(voc, "train")
    (voc / "SegmentationClass" / "a2.png").unlink()
    with pytest.raises(InputError, match=r"a2.png: expected the ground truth of val image a2 here \(1 of 2 missing\)"):
        get_dataset("voc2012").samples(voc, "val")


def test_voc2012_aug_with_sbd_mat(tmp_path, rng):
    from scipy.io import savemat

    voc = make_voc(tmp_path, rng, {"train": ["2007_000032"], "val": ["2007_000033"]})
    sbd = tmp_path / "benchmark_RELEASE" / "dataset"
    (sbd / "cls").mkdir(parents=True)
    (sbd / "train.txt").write_text("2008_000008\n2008_000015\n2007_000033\n")
    (sbd / "val.txt").write_text("2008_000019\n")
    sbd_gt = {}
    for i in ("2008_000008", "2008_000015", "2008_000019", "2007_000033"):
        seg = blobs(rng, 16, 16, list(range(21))).astype(np.uint8)
        sbd_gt[i] = seg
        savemat(str(sbd / "cls" / f"{i}.mat"),
                {"GTcls": {"Segmentation": seg, "Boundaries": np.zeros(1), "CategoriesPresent": np.zeros(1)}})
    adapter = get_dataset("voc2012-aug")
    samples = adapter.samples(tmp_path, "train_aug")
    # (SBD train + SBD val + VOC train) - VOC val
    assert [s.name for s in samples] == ["2007_000032", "2008_000008", "2008_000015", "2008_000019"]
    assert samples[1].semantic.suffix == ".mat"
    assert np.array_equal(adapter.load_semantic(samples[1]), sbd_gt["2008_000008"])
    for s in samples:
        save_l(tmp_path / "pred" / f"{s.name}.png", noisy(rng, adapter.load_semantic(s).astype(np.int64) % 255, list(range(21))))
    rec, e = _run("voc2012-aug", tmp_path, "train_aug", tmp_path / "pred")
    assert e.stats.num_images == 4 and 0 < rec["metrics"]["miou"] < 1


# ------------------------------------------------------------------ ADE20K


def ade_toolkit_reference(pairs):
    """The SceneParsing toolkit / CSAIL ``intersectionAndUnion`` + ``pixelAccuracy``, restated:
    labels 1..150, 0 = unlabeled; predictions on unlabeled pixels dropped; IoU = I / (U + eps)
    over all 150 classes; pixel accuracy pooled over labelled pixels."""
    inter = np.zeros(150)
    union = np.zeros(150)
    correct = labelled = 0
    for gt, pred in pairs:
        pred = pred * (gt > 0)
        i = pred * (pred == gt)
        ai, _ = np.histogram(i, bins=150, range=(1, 150))
        ap, _ = np.histogram(pred, bins=150, range=(1, 150))
        al, _ = np.histogram(gt, bins=150, range=(1, 150))
        inter += ai
        union += ap + al - ai
        correct += np.sum((pred == gt) & (gt > 0))
        labelled += np.sum(gt > 0)
    iou = inter / (union + 1e-10)
    return correct / labelled, iou.mean(), iou


def _make_ade(root, rng, n=3, split="validation"):
    ade = root / "ADEChallengeData2016"
    gts = []
    for k in range(n):
        key = f"ADE_val_{k + 1:08d}" if split == "validation" else f"ADE_train_{k + 1:08d}"
        gt = blobs(rng, 24, 30, [0, 1, 3, 5, 13, 21, 150, 77])
        gts.append(save_l(ade / "annotations" / split / f"{key}.png", gt))
        save_jpg(ade / "images" / split / f"{key}.jpg", 24, 30, rng)
    (ade / "objectInfo150.txt").write_text("Idx\tRatio\tTrain\tVal\tName\n")
    return ade, gts


def test_ade20k_official_score_and_mmseg_default(tmp_path, rng):
    ade, gts = _make_ade(tmp_path, rng)
    preds = label_predictions(gts, tmp_path / "pred", rng, [0, 1, 3, 5, 13, 21, 150, 77, 99])  # 0 on labelled pixels too
    rec, _ = _run("ade20k", tmp_path, "val", tmp_path / "pred")
    pa, miou, iou = ade_toolkit_reference([(np.asarray(Image.open(g)).astype(np.int64),
                                            np.asarray(Image.open(p)).astype(np.int64)) for g, p in zip(gts, preds)])
    assert rec["convention"] == "ade20k"
    assert rec["metrics"]["pixel_acc"] == pytest.approx(pa, rel=1e-12)
    assert rec["metrics"]["miou"] == pytest.approx(miou, rel=1e-8)
    assert rec["metrics"]["score"] == pytest.approx((pa + miou) / 2, rel=1e-8)
    assert [r["iou"] for r in rec["per_class"]] == pytest.approx(list(iou), rel=1e-8, abs=1e-9)
    # trainIds (mmseg output, 0..149) with --convention default == reduce-zero-label folder evaluation
    valid = [1, 3, 5, 13, 21, 150, 77, 99]
    train = label_predictions(gts, tmp_path / "pred_train", rng, valid)
    for p in train:
        save_l(p, np.asarray(Image.open(p)).astype(np.int64) - 1)
    rec_d, _ = _run("ade20k", ade, "validation", tmp_path / "pred_train", pred_ids="trainIds", convention="default")
    reduce = np.concatenate([[255], np.arange(150), np.full(105, 255)])
    ident = np.arange(256)
    ref = _folder_reference(tmp_path, gts, tmp_path / "pred_train", reduce, ident, 150)
    for k in ("pixel_acc", "mean_acc", "miou", "fwiou"):
        assert rec_d["metrics"][k] == pytest.approx(ref["metrics"][k], rel=1e-12)
    assert "score" not in rec_d["metrics"]
    with pytest.raises(LabelRangeError, match=r"label id 0 \('other', not evaluated\)"):
        _run("ade20k", ade, "validation", tmp_path / "pred", convention="default")


# ------------------------------------------------------------------ COCO


def test_coco_stuff_semantic_and_annotation_paths(tmp_path, rng):
    from pycocotools import mask as mask_utils

    root = tmp_path / "coco"
    stuff = root / "stuffthingmaps_trainval2017" / "val2017"
    used = [0, 1, 2, 12, 91, 92, 181]  # person, bicycle, car, stop sign (id 13), banner (92) ...
    gts = []
    for image_id in (139, 285, 632):
        gt = blobs(rng, 20, 26, used + [255])
        gts.append(save_l(stuff / f"{image_id:012d}.png", gt))
        save_jpg(root / "val2017" / f"{image_id:012d}.jpg", 20, 26, rng)
    label_predictions(gts, tmp_path / "pred", rng, used)
    rec, e = _run("coco", root, "val2017", tmp_path / "pred")
    assert rec["meta"]["num_classes"] == 171 and e.stats.num_images == 3
    adapter = get_dataset("coco")
    lut = adapter.table.gt_lut(255).astype(np.int64)
    ref = _folder_reference(tmp_path, gts, tmp_path / "pred", lut, lut, 171)
    assert rec["metrics"]["miou"] == pytest.approx(ref["metrics"]["miou"], rel=1e-12)
    # a raw id that is not a COCO-Stuff category (id 12 is unused -> value 11)
    p = sorted((tmp_path / "pred").glob("*.png"))[0]
    q = np.asarray(Image.open(p)).copy()
    q[0, 0] = 11
    save_l(p, q)
    with pytest.raises(LabelRangeError, match=r"predicted label id 11 is not in the coco label table"):
        _run("coco", root, "val2017", tmp_path / "pred")
    # instances / panoptic resolution for the instance and panoptic evaluators
    with pytest.raises(InputError, match=r"annotations/instances_val2017.json: expected the COCO instances_val2017.json file"):
        adapter.instance_annotations(root, "val2017")
    rle = mask_utils.encode(np.asfortranarray((blobs(rng, 20, 26, [0, 1]) > 0).astype(np.uint8)))
    rle["counts"] = rle["counts"].decode()
    inst = {"images": [{"id": 139, "file_name": "000000000139.jpg", "height": 20, "width": 26}],
            "annotations": [{"id": 1, "image_id": 139, "category_id": 90, "iscrowd": 0, "segmentation": rle,
                             "area": 10, "bbox": [0, 0, 1, 1]},
                            {"id": 2, "image_id": 139, "category_id": 1, "iscrowd": 1, "area": 4, "bbox": [0, 0, 2, 2],
                             "segmentation": [[1, 1, 8, 1, 8, 8, 1, 8]]}],
            "categories": [{"id": 1, "name": "person"}, {"id": 90, "name": "toothbrush"}]}
    js = write_json(root / "annotations" / "instances_val2017.json", inst)
    assert adapter.instance_annotations(root, "val2017") == js
    s = adapter.samples(root, "val2017", task="instance")[0]
    t = adapter.load_instances(s)
    assert t.masks.shape == (2, 20, 26) and list(t.classes) == [79, 0] and list(t.iscrowd) == [False, True]
    assert np.array_equal(t.masks[0], mask_utils.decode(rle).astype(bool))
    with pytest.raises(InputError, match=r"panoptic_val2017.json: expected the COCO panoptic_val2017.json file"):
        adapter.panoptic_annotations(root, "val2017")
    seg = np.zeros((20, 26), np.int64)
    seg[:10] = 5
    seg[10:, :4] = 300
    rgb = np.stack([seg % 256, seg // 256 % 256, seg // 65536], -1)
    save_rgb(root / "annotations" / "panoptic_val2017" / "000000000139.png", rgb)
    write_json(root / "annotations" / "panoptic_val2017.json", {
        "images": [{"id": 139, "file_name": "000000000139.jpg"}],
        "annotations": [{"image_id": 139, "file_name": "000000000139.png", "segments_info": [
            {"id": 5, "category_id": 1, "iscrowd": 0, "area": 260}, {"id": 300, "category_id": 184, "iscrowd": 0, "area": 40}]}],
        "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 184, "name": "tree-merged", "isthing": 0}]})
    js, folder = adapter.panoptic_annotations(root, "val2017")
    assert folder.name == "panoptic_val2017"
    pt = adapter.load_panoptic(adapter.samples(root, "val2017", task="panoptic")[0])
    assert np.array_equal(pt.segments, seg) and [s["id"] for s in pt.segments_info] == [5, 300]


# ------------------------------------------------------------------ PASCAL-Context


@pytest.mark.parametrize("name,n", [("pascal-context", 59), ("pascal-context-60", 60)])
def test_pascal_context_background_handling(tmp_path, rng, name, n):
    ids = {"train": ["2008_000002"], "val": ["2008_000003", "2008_000007"]}
    voc = make_voc(tmp_path, rng, ids, year="VOC2010", seg_dir="SegmentationClassContext",
                   sets_dir="SegmentationContext", values=[0, 1, 5, 17, 59, 33])
    gts = [voc / "SegmentationClassContext" / f"{i}.png" for i in ids["val"]]
    values = [1, 5, 17, 59, 33, 2] + ([0] if n == 60 else [])
    label_predictions(gts, tmp_path / "pred", rng, values)
    rec, _ = _run(name, tmp_path, "val", tmp_path / "pred")
    if n == 59:   # reduce-zero-label: 0 -> 255, x -> x - 1
        lut = np.concatenate([[255], np.arange(59), np.full(196, 255)])
        lut[255] = 255
    else:
        lut = np.arange(256)
    ref = _folder_reference(tmp_path, gts, tmp_path / "pred", lut, lut, n)
    for k in ("pixel_acc", "mean_acc", "miou", "fwiou"):
        assert rec["metrics"][k] == pytest.approx(ref["metrics"][k], rel=1e-12)
    assert rec["per_class"][0]["name"] == ("aeroplane" if n == 59 else "background")


def test_pascal_context_459_mat(tmp_path, rng):
    from scipy.io import savemat

    voc = tmp_path / "VOCdevkit" / "VOC2010"
    (voc / "ImageSets" / "SegmentationContext").mkdir(parents=True)
    (voc / "ImageSets" / "SegmentationContext" / "val.txt").write_text("2008_000003\n")
    gt = blobs(rng, 12, 14, [0, 1, 300, 459, 284]).astype(np.uint16)
    (voc / "trainval").mkdir()
    savemat(str(voc / "trainval" / "2008_000003.mat"), {"LabelMap": gt})
    save_u16(tmp_path / "pred" / "2008_000003.png", noisy(rng, gt.astype(np.int64), [1, 300, 459, 284, 7]))
    rec, _ = _run("pascal-context-459", tmp_path, "val", tmp_path / "pred")
    adapter = get_dataset("pascal-context-459")
    sem = adapter.load_semantic(adapter.samples(tmp_path, "val")[0])
    assert sem.dtype == np.uint16 and set(np.unique(sem)) <= {0, 299, 458, 283, 65535}
    assert rec["meta"]["num_classes"] == 459 and rec["per_class"][458]["name"] == "wool"


# ------------------------------------------------------------------ Mapillary


def mapillary_reference(pairs, config):
    """Mapillary Vistas: full label confusion matrix, then rows and columns of labels with
    evaluate: false deleted; IoU per remaining label, NaN-skipping mean."""
    n = len(config["labels"])
    cm = np.zeros((n, n), np.int64)
    for gt, pred in pairs:
        np.add.at(cm, (gt.ravel(), pred.ravel()), 1)
    keep = [i for i, l in enumerate(config["labels"]) if l["evaluate"]]
    cm = cm[np.ix_(keep, keep)]
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / union
    return np.nanmean(iou), tp.sum() / cm.sum()


def test_mapillary_config_and_deletion(tmp_path, rng):
    root = tmp_path / "vistas"
    config = mapillary_config(8)
    write_json(root / "config.json", config)
    gts, preds = [], []
    for k in range(3):
        key = f"img{k:02d}_{'x' * 5}"
        gt = blobs(rng, 18, 22, list(range(8)))
        gts.append(save_l(root / "validation" / "labels" / f"{key}.png", gt))
        save_jpg(root / "validation" / "images" / f"{key}.jpg", 18, 22, rng)
    preds = label_predictions(gts, tmp_path / "pred", rng, list(range(8)))
    rec, _ = _run("mapillary-vistas", root, "val", tmp_path / "pred")
    miou, pa = mapillary_reference([(np.asarray(Image.open(g)).astype(np.int64),
                                     np.asarray(Image.open(p)).astype(np.int64)) for g, p in zip(gts, preds)], config)
    assert rec["convention"] == "mapillary" and rec["meta"]["num_classes"] == 6
    assert rec["metrics"]["miou"] == pytest.approx(miou, rel=1e-12)
    assert rec["metrics"]["pixel_acc"] == pytest.approx(pa, rel=1e-12)
    # cityscapes-style counting of the same predictions differs (non-evaluated predictions are misses)
    rec_c, _ = _run("mapillary-vistas", root, "validation", tmp_path / "pred", convention="cityscapes")
    assert rec_c["metrics"]["miou"] < rec["metrics"]["miou"]
    with pytest.raises(InputError, match=r"config_v1.2.json: expected the Mapillary Vistas v1.2 config JSON here"):
        get_dataset("mapillary-vistas").samples(tmp_path, "validation")
    with pytest.raises(InputError, match="does not apply to dataset 'mapillary-vistas'"):
        _run("mapillary-vistas", root, "validation", tmp_path / "pred", convention="ade20k")


# ------------------------------------------------------------------ NYUv2 / SIFT Flow


@pytest.mark.parametrize("name,folder,n", [("nyudv2", "seg40", 40), ("nyudv2-13", "seg13", 13)])
def test_nyudv2(tmp_path, rng, name, folder, n):
    root = tmp_path / "NYUv2"
    gts = []
    for k in range(3):
        gt = blobs(rng, 16, 20, [0, 1, 2, n, 5])
        gts.append(save_l(root / folder / "test" / f"{k:04d}.png", gt))
        save_rgb(root / "image" / "test" / f"{k:04d}.png", rng.integers(0, 255, (16, 20, 3)))
    label_predictions(gts, tmp_path / "pred", rng, [1, 2, n, 5, 3])
    rec, _ = _run(name, root, "test", tmp_path / "pred")
    lut = np.concatenate([[255], np.arange(n), np.full(255 - n, 255)])
    ref = _folder_reference(tmp_path, gts, tmp_path / "pred", lut, lut, n)
    assert rec["metrics"]["miou"] == pytest.approx(ref["metrics"]["miou"], rel=1e-12)
    assert rec["meta"]["num_classes"] == n
    with pytest.raises(InputError, match=f"{folder}/train: expected the NYUv2 {folder}/train folder"):
        get_dataset(name).samples(root, "train")


def test_sift_flow_mat_labels_and_splits(tmp_path, rng):
    from scipy.io import savemat

    root = tmp_path / "SiftFlowDataset"
    sub = "spatial_envelope_256x256_static_8outdoorcategories"
    keys = ["coast_arnat59", "forest_nat114", "street_a232"]
    (root / "SemanticLabels" / sub).mkdir(parents=True)
    (root / "GeoLabels" / sub).mkdir(parents=True)
    for k in keys:
        savemat(str(root / "SemanticLabels" / sub / f"{k}.mat"), {"S": blobs(rng, 16, 16, [0, 1, 6, 28, 33]).astype(np.int32)})
        savemat(str(root / "GeoLabels" / sub / f"{k}.mat"), {"S": blobs(rng, 16, 16, [1, 2, 3]).astype(np.int32)})
    (root / "TestSet1.txt").write_text("Images/spatial_envelope_256x256_static_8outdoorcategories\\coast_arnat59.jpg\n"
                                       "street_a232.jpg\n")
    adapter = get_dataset("sift-flow")
    assert [s.name for s in adapter.samples(root, "test")] == ["coast_arnat59", "street_a232"]
    assert [s.name for s in adapter.samples(root, "trainval")] == ["forest_nat114"]
    for s in adapter.samples(root, "test"):
        raw = adapter.read_raw_semantic(s).astype(np.int64)
        save_l(tmp_path / "pred" / f"{s.name}.png", noisy(rng, np.where(raw == 0, 1, raw), [1, 6, 28, 33, 2]))
    rec, _ = _run("sift-flow", root, "test", tmp_path / "pred")
    assert rec["meta"]["num_classes"] == 33 and rec["per_class"][27]["name"] == "sky"
    geo = get_dataset("sift-flow-geo")
    sem = geo.load_semantic(geo.samples(root, "test")[0])
    assert set(np.unique(sem)) <= {0, 1, 2}


# ------------------------------------------------------------------ registry


def test_every_registered_dataset_describes_itself():
    for name in dataset_names():
        d = get_dataset(name).describe()
        assert d["name"] == name and d["splits"] and d["tasks"]


def test_unknown_dataset_names_closest_match():
    from segbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"unknown dataset 'cityscape'; did you mean 'cityscapes'.*available: ade20k"):
        get_dataset("cityscape")


def test_entry_point_group_registers_third_party_adapter(monkeypatch):
    import importlib.metadata as md

    from segbench.datasets import base
    from segbench.datasets.table_adapter import TableDataset

    class ThirdParty(TableDataset):
        description = "from a plugin"

        def build_table(self):
            from segbench.datasets.labels import simple_table

            return simple_table("toy", ["a", "b"])

    class FakeEP:
        name = "toy-plugin"

        def load(self):
            return ThirdParty

    calls = []

    def fake_entry_points(group=None):
        calls.append(group)
        return [FakeEP()] if group == "segbench.datasets" else []

    monkeypatch.setattr(md, "entry_points", fake_entry_points)
    monkeypatch.setattr(base.DATASETS, "_entry_points_loaded", False)
    monkeypatch.setattr(base.DATASETS, "_items", dict(base.DATASETS._items))
    assert "toy-plugin" in base.dataset_names()
    assert calls == ["segbench.datasets"]
    assert base.get_dataset("toy-plugin").num_classes == 2


def test_cityscapes_and_mapillary_panoptic_paths(tmp_path, rng):
    from dataset_trees import make_cityscapes

    root = tmp_path / "cs"
    make_cityscapes(root, rng, cities=(("ulm", 1),))
    adapter = get_dataset("cityscapes")
    with pytest.raises(InputError, match=r"cityscapes_panoptic_val.json: expected the Cityscapes panoptic JSON"):
        adapter.panoptic_annotations(root, "val")
    seg = np.zeros((40, 56), np.int64)
    seg[5:9, 5:9] = 26000
    seg[20:] = 7
    save_rgb(root / "gtFine" / "cityscapes_panoptic_val" / "ulm_000000_000019_gtFine_panoptic.png",
             np.stack([seg % 256, seg // 256 % 256, seg // 65536], -1))
    write_json(root / "gtFine" / "cityscapes_panoptic_val.json", {
        "images": [], "categories": [],
        "annotations": [{"image_id": "ulm_000000_000019", "file_name": "ulm_000000_000019_gtFine_panoptic.png",
                         "segments_info": [{"id": 26000, "category_id": 26}, {"id": 7, "category_id": 7}]}]})
    pt = adapter.load_panoptic(adapter.samples(root, "val")[0])
    assert np.array_equal(pt.segments, seg) and len(pt.segments_info) == 2
    vistas = tmp_path / "vistas"
    write_json(vistas / "config.json", mapillary_config(5))
    write_json(vistas / "validation" / "panoptic" / "panoptic_2018.json", {"annotations": [], "categories": []})
    js, folder = get_dataset("mapillary-vistas").panoptic_annotations(vistas, "val")
    assert js.name == "panoptic_2018.json" and folder.name == "panoptic"
    show = __import__("typer.testing", fromlist=["CliRunner"]).CliRunner().invoke(
        __import__("segbench.cli.main", fromlist=["app"]).app,
        ["datasets", "show", "mapillary-vistas", "--root", str(vistas), "--all", "--format", "json"])
    rows = json.loads(show.stdout)["classes"]
    assert len(rows) == 5 and [r["evaluated"] for r in rows] == [True, True, False, True, False]


def test_nyudv2_40_from_894_with_gupta_mapping(tmp_path, rng):
    from scipy.io import savemat

    root = tmp_path / "NYUv2"
    mapping = rng.integers(1, 41, 894)
    root.mkdir()
    savemat(str(root / "classMapping40.mat"), {"mapClass": mapping[None, :].astype(float)})
    raw = blobs(rng, 12, 16, [0, 1, 21, 300, 894])
    save_u16(root / "seg894" / "test" / "0001.png", raw)
    adapter = get_dataset("nyudv2")
    s = adapter.samples(root, "test")[0]
    want = np.where(raw == 0, 255, np.concatenate([[0], mapping])[raw] - 1)
    assert np.array_equal(adapter.load_semantic(s), want)
    save_l(tmp_path / "pred" / "0001.png", np.concatenate([[0], mapping])[np.where(raw == 0, 1, raw)])
    rec, _ = _run("nyudv2", root, "test", tmp_path / "pred")
    assert rec["metrics"]["pixel_acc"] == 1.0


def test_mapillary_v2_layout(tmp_path, rng):
    root = tmp_path / "vistas"
    config = mapillary_config(6)
    write_json(root / "config_v2.0.json", config)
    gts = [save_l(root / "validation" / "v2.0" / "labels" / f"k{k}.png", blobs(rng, 10, 12, list(range(6)))) for k in range(2)]
    preds = label_predictions(gts, tmp_path / "pred", rng, list(range(6)))
    rec, _ = _run("mapillary-vistas-v2", root, "validation", tmp_path / "pred")
    miou, _ = mapillary_reference([(np.asarray(Image.open(g)).astype(np.int64), np.asarray(Image.open(p)).astype(np.int64))
                                   for g, p in zip(gts, preds)], config)
    assert rec["metrics"]["miou"] == pytest.approx(miou, rel=1e-12) and rec["meta"]["num_classes"] == 4
    write_json(tmp_path / "vistas2" / "config_v2.0.json", config)
    with pytest.raises(InputError, match=r"validation/v2.0/labels: expected the Mapillary validation/v2.0/labels folder"):
        get_dataset("mapillary-vistas-v2").samples(tmp_path / "vistas2", "validation")
