"""Parity with panopticapi's pq_compute (cityscapesScripts' pip-installable port) to 1e-9."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from _panoptic_data import CATEGORIES, oracle, random_dataset, write_dataset
from segbench.engine.panoptic import evaluate_panoptic, panoptic_record

pytest.importorskip("cityscapesscripts.evaluation.evalPanopticSemanticLabeling")

KEYS = {"PQ": ("All", "pq"), "SQ": ("All", "sq"), "RQ": ("All", "rq"),
        "PQ_th": ("Things", "pq"), "SQ_th": ("Things", "sq"), "RQ_th": ("Things", "rq"),
        "PQ_st": ("Stuff", "pq"), "SQ_st": ("Stuff", "sq"), "RQ_st": ("Stuff", "rq")}


def assert_parity(paths, jobs=2, decoder="auto"):
    ev = evaluate_panoptic(paths["gt_json"], paths["gt_dir"], paths["pred_json"], paths["pred_dir"],
                           jobs=jobs, decoder=decoder)
    record = panoptic_record(ev)
    ref = oracle(paths)
    for key, (group, metric) in KEYS.items():
        if ref[group] is None:  # panopticapi raises ZeroDivisionError; segbench reports null
            assert record["metrics"][key] is None, key
            continue
        assert record["metrics"][key] == pytest.approx(ref[group][metric], abs=1e-9, rel=0), key
    stats = ev.stats
    for k, cid in enumerate(stats.categories):
        iou, tp, fp, fn = ref["stat"][cid]
        assert (int(stats.tp[k]), int(stats.fp[k]), int(stats.fn[k])) == (tp, fp, fn), cid
        assert stats.iou_sum[k] == pytest.approx(iou, abs=1e-9)
        row = record["per_class"][k]  # panopticapi's 0.0 too where tp + fp + fn == 0
        for m in ("PQ", "SQ", "RQ"):
            assert row[m] == pytest.approx(ref["per_class"][cid][m.lower()], abs=1e-9)
    return record, ref


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_random_datasets_match_panopticapi(tmp_path, seed):
    paths = random_dataset(tmp_path, seed, n=12)
    record, ref = assert_parity(paths, jobs=1 + seed % 3, decoder=("auto", "opencv", "pillow")[seed % 3])
    assert record["meta"]["num_images"] == 12
    # the generated data really exercises the rules: some TP, FP and FN, some crowd, some VOID
    assert sum(r["tp"] for r in record["per_class"]) > 0
    assert sum(r["fp"] for r in record["per_class"]) > 0
    assert sum(r["fn"] for r in record["per_class"]) > 0


def test_rules_are_exercised_by_the_generator(tmp_path):
    """Guard against a generator that silently stops producing crowd, VOID or missing segments."""
    paths = random_dataset(tmp_path, 7, n=12)
    gt = json.loads(paths["gt_json"].read_text())
    segs = [s for a in gt["annotations"] for s in a["segments_info"]]
    assert any(s["iscrowd"] for s in segs)
    void = sum(int((np.asarray(Image.open(paths["gt_dir"] / a["file_name"])) == 0).all(-1).sum())
               for a in gt["annotations"])
    assert void > 0
    cats = {(a["image_id"], s["category_id"]) for a in gt["annotations"] for s in a["segments_info"]}
    kinds = {a["image_id"]: {s["category_id"] for s in a["segments_info"]} for a in gt["annotations"]}
    things = {c["id"] for c in CATEGORIES if c["isthing"]}
    assert any(k and k <= things for k in kinds.values())  # things-only image
    assert any(k and not (k & things) for k in kinds.values())  # stuff-only image
    assert cats


def test_synth_panoptic_matches_panopticapi(tmp_path):
    from segbench.datasets.synth_writer import SynthConfig, write_synthetic

    write_synthetic(SynthConfig(tmp_path, 8, 64, 80, 7, seed=3, quality=0.6), ("panoptic",))
    root = tmp_path / "panoptic"
    paths = {"gt_json": root / "gt.json", "gt_dir": root / "gt", "pred_json": root / "pred.json",
             "pred_dir": root / "pred"}
    record, _ = assert_parity(paths)
    assert 0 < record["metrics"]["PQ"] < 1


def _nuclei_dataset(tmp_path):
    """Real microscopy labels: nuclei as things, background as stuff, with a VOID ring around each
    nucleus, one crowd nucleus, and perturbed predictions (shifted, eroded, merged, dropped, spurious)."""
    from scipy import ndimage

    from conftest import SHARED_FIXTURES

    inst = np.asarray(Image.open(SHARED_FIXTURES / "nuclei-dsb2018" / "nuclei_inst.png")).astype(np.int64)
    rng = np.random.default_rng(2018)
    cats = [{"id": 1, "name": "nucleus", "isthing": 1}, {"id": 2, "name": "background", "isthing": 0}]
    nuclei = [int(v) for v in np.unique(inst) if v]
    gt = np.where(inst > 0, inst + 1000, 1)
    ring = ndimage.binary_dilation(inst > 0) & ~(inst > 0)
    gt[ring] = 0
    crowd_id = nuclei[5] + 1000
    gt_segs = {1: (2, 0), **{v + 1000: (1, int(v + 1000 == crowd_id)) for v in nuclei}}
    pred = np.ones_like(inst) * 7
    pred_segs = {7: (2, 0)}
    for k, v in enumerate(nuclei):
        m = inst == v
        r = rng.random()
        if r < 0.1:
            continue  # missed nucleus
        if r < 0.2:
            m = ndimage.binary_erosion(m, iterations=3)  # too small: IoU <= 0.5 for small nuclei
        elif r < 0.5:
            m = np.roll(m, tuple(int(d) for d in rng.integers(-2, 3, 2)), axis=(0, 1))
        if k % 17 == 3 and k + 1 < len(nuclei):
            m = m | (inst == nuclei[k + 1])  # merged with its neighbour in id order
        pid = 5000 + k
        pred[m] = pid
        pred_segs[pid] = (1, 0)
    for k in range(6):  # spurious blobs, two of them inside the crowd nucleus
        if k < 2:
            ys, xs = np.nonzero(inst == nuclei[5])
            y, x = int(ys.mean()), int(xs.mean())
        else:
            y, x = (int(v) for v in rng.integers(10, 500, 2))
        pid = 9000 + k
        pred[max(0, y - 2):y + 2, max(0, x - 2):x + 2 + k] = pid
        pred_segs[pid] = (1, 0)
    pred_segs = {i: s for i, s in pred_segs.items() if (pred == i).any()}
    # tiles as images so that several images (and one tile of background only) are evaluated
    images = []
    for y in range(0, 512, 256):
        for x in range(0, 512, 256):
            g, p = gt[y:y + 256, x:x + 256], pred[y:y + 256, x:x + 256]
            images.append((g, gt_segs, p, pred_segs))
    images.append((np.ones((32, 32), np.int64), gt_segs, np.full((32, 32), 7, np.int64), pred_segs))
    return write_dataset(tmp_path, images, rng, cats)


def test_nuclei_real_case_matches_panopticapi(tmp_path):
    paths = _nuclei_dataset(tmp_path)
    record, ref = assert_parity(paths)
    nucleus = record["per_class"][0]
    assert nucleus["tp"] > 50 and nucleus["fp"] > 0 and nucleus["fn"] > 0
    assert 0.5 < record["metrics"]["PQ_th"] < 0.95
    assert not math.isnan(record["metrics"]["PQ_st"])


def test_official_entry_point_evaluatePanoptic(tmp_path, capsys):
    """The whole official function (JSON reading, image_id matching, its process pool) once."""
    from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import evaluatePanoptic

    paths = random_dataset(tmp_path, 99, n=8)
    official = evaluatePanoptic(str(paths["gt_json"]), str(paths["gt_dir"]), str(paths["pred_json"]),
                                str(paths["pred_dir"]), str(tmp_path / "cs-result.json"))
    capsys.readouterr()
    record = panoptic_record(evaluate_panoptic(paths["gt_json"], paths["gt_dir"], paths["pred_json"],
                                               paths["pred_dir"]))
    for key, (group, metric) in KEYS.items():
        assert record["metrics"][key] == pytest.approx(float(official[group][metric]), abs=1e-9), key


def test_mixed_sizes_and_rgba_pngs(tmp_path):
    """Per-thread decode buffers are reused only for same-size images; RGBA alpha is ignored."""
    from _panoptic_data import random_image

    rng = np.random.default_rng(5)
    sizes = [(40, 56), (40, 56), (33, 71), (40, 56), (33, 71), (64, 48)]
    images = [random_image(rng, h, w, "mixed") for h, w in sizes]
    paths = write_dataset(tmp_path, images, rng)
    for k in (1, 4):  # RGBA with a varying alpha channel, GT and prediction
        for kind in ("gt_dir", "pred_dir"):
            f = paths[kind] / f"img_{k:04d}.png"
            rgb = np.asarray(Image.open(f))
            alpha = rng.integers(0, 256, rgb.shape[:2], dtype=np.uint8)[..., None]
            Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA").save(f)
    for jobs in (1, 2):
        assert_parity(paths, jobs=jobs)


def _rewrite_pred(paths, edit):
    pred = json.loads(paths["pred_json"].read_text())
    edit(pred)
    paths["pred_json"].write_text(json.dumps(pred))


def test_prediction_iscrowd_and_missing_area_are_not_read(tmp_path):
    """panopticapi never reads a predicted segment's ``iscrowd`` and counts its area in the PNG:
    any iscrowd value, and no area at all, are scored, not refused."""
    paths = random_dataset(tmp_path, 21, n=4)
    crowds = [1, None, 2, "yes", True]

    def edit(pred):
        for k, s in enumerate(s for a in pred["annotations"] for s in a["segments_info"]):
            s["iscrowd"] = crowds[k % len(crowds)]
            if k % 2:
                s.pop("area", None)

    _rewrite_pred(paths, edit)
    assert_parity(paths, jobs=2)


def test_prediction_entries_of_other_images_are_not_read(tmp_path):
    """Entries whose image_id is not a GT image are set aside unread, as panopticapi does: their
    contents (unknown categories, duplicates, no segments_info, no PNG) are not checked."""
    paths = random_dataset(tmp_path, 22, n=3)
    junk = [{"image_id": 100, "file_name": "absent.png", "segments_info": [{"id": 3, "category_id": 4242}]},
            {"image_id": 101, "file_name": "absent.png", "segments_info": [{"id": 0, "category_id": 1}] * 2},
            {"image_id": 102},
            {"image_id": 102, "file_name": 5, "segments_info": "none"},
            {"image_id": "0", "file_name": "img_0000.png", "segments_info": []}]
    _rewrite_pred(paths, lambda pred: pred["annotations"].extend(junk))
    assert_parity(paths, jobs=1)
    ev = evaluate_panoptic(paths["gt_json"], paths["gt_dir"], paths["pred_json"], paths["pred_dir"])
    assert ev.extra == [100, 101, 102, 102, "0"]
