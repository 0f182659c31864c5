"""`segbench eval semantic` end to end through typer's CliRunner, including every bad input."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from conftest import save_png
from segbench.cli.main import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def make_folders(tmp_path, n_images=4, n=5, shape=(20, 30), seed=0, ignore_frac=0.1, noise=0.3):
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    pairs = []
    for i in range(n_images):
        gt = rng.integers(0, n, shape).astype(np.uint8)
        pred = np.where(rng.random(shape) < noise, rng.integers(0, n, shape), gt).astype(np.uint8)
        gt[rng.random(shape) < ignore_frac] = 255
        save_png(gt_dir / "city" / f"img{i}_gtFine_labelIds.png", gt)
        save_png(pred_dir / "city" / f"img{i}_leftImg8bit.png", pred)
        pairs.append((gt, pred))
    return gt_dir, pred_dir, pairs


def reference_metrics(pairs, n, ignore=255):
    cm = np.zeros((n, n), np.int64)
    for gt, pred in pairs:
        m = gt != ignore
        cm += np.bincount(n * gt[m].astype(np.int64) + pred[m], minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(float)
    gt_c, pr_c = cm.sum(1), cm.sum(0)
    union = gt_c + pr_c - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / union
        acc = tp / gt_c
    return {
        "pixel_acc": tp.sum() / cm.sum(),
        "mean_acc": np.nanmean(acc),
        "miou": np.nanmean(iou),
        "fwiou": np.nansum(gt_c / gt_c.sum() * iou),
    }, iou


def suffix_args(gt_dir, pred_dir):
    return ["--gt", gt_dir, "--pred", pred_dir, "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_leftImg8bit"]


def test_json_record_matches_reference(tmp_path):
    gt_dir, pred_dir, pairs = make_folders(tmp_path)
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", *suffix_args(gt_dir, pred_dir), "--num-classes", 5, "--json", out, "--quiet")
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text())
    expected, iou = reference_metrics(pairs, 5)
    assert record["schema"] == 1 and record["task"] == "semantic"
    assert record["meta"]["num_images"] == 4
    for key, value in expected.items():
        assert record["metrics"][key] == pytest.approx(value, abs=1e-12)
    assert [r["iou"] for r in record["per_class"]] == pytest.approx(list(iou))
    assert set(record["per_class"][0]) >= {"id", "name", "iou", "acc", "dice"}
    assert np.array(record["stats"]["confusion"]).sum() == sum(int((g != 255).sum()) for g, _ in pairs)
    assert "mean IU" in res.stdout


@pytest.mark.parametrize("fmt,needle", [("markdown", "| mean IU"), ("latex", r"\toprule"), ("csv", "pixel acc."),
                                        ("json", '"miou"'), ("table", "f.w. IU")])
def test_formats(tmp_path, fmt, needle):
    gt_dir, pred_dir, _ = make_folders(tmp_path)
    res = invoke("eval", "semantic", *suffix_args(gt_dir, pred_dir), "--num-classes", 5, "--format", fmt)
    assert res.exit_code == 0, res.output
    assert needle in res.stdout


def test_class_names_and_per_image_csv(tmp_path):
    gt_dir, pred_dir, pairs = make_folders(tmp_path)
    names = tmp_path / "names.txt"
    names.write_text("road\ncar\nsky\ntree\nperson\n")
    per_image = tmp_path / "per_image.csv"
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", *suffix_args(gt_dir, pred_dir), "--num-classes", 5,
                 "--class-names", names, "--per-image", per_image, "--json", out)
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text())
    assert [r["name"] for r in record["per_class"]] == ["road", "car", "sky", "tree", "person"]
    import pandas as pd

    frame = pd.read_csv(per_image)
    assert list(frame["image"]) == [f"city/img{i}" for i in range(4)]
    for i, pair in enumerate(pairs):
        expected, _ = reference_metrics([pair], 5)
        assert frame["miou"][i] == pytest.approx(expected["miou"])
        assert frame["pixel_acc"][i] == pytest.approx(expected["pixel_acc"])


def test_detectron2_convention(tmp_path):
    gt = np.zeros((4, 4), np.uint8)
    pred = gt.copy()
    pred[:, :2] = 1
    save_png(tmp_path / "gt" / "a.png", gt)
    save_png(tmp_path / "pred" / "a.png", pred)
    out1, out2 = tmp_path / "d.json", tmp_path / "d2.json"
    assert invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 3,
                  "--json", out1).exit_code == 0
    assert invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 3,
                  "--json", out2, "--convention", "detectron2").exit_code == 0
    assert json.loads(out1.read_text())["metrics"]["miou"] == pytest.approx(0.25)
    d2 = json.loads(out2.read_text())
    assert d2["metrics"]["miou"] == pytest.approx(0.5)
    assert d2["per_class"][1]["iou"] is None and d2["convention"] == "detectron2"


def test_palette_16bit_and_npy_inputs(tmp_path):
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 4, (10, 12)).astype(np.uint8)
    pred = gt.copy()
    pred[0] = 1
    palette = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * (256 * 3 - 12)
    save_png(tmp_path / "gt" / "p.png", gt, mode="P", palette=palette)
    save_png(tmp_path / "pred" / "p.png", pred, mode="P", palette=palette)
    Image.fromarray(gt.astype(np.uint16)).save(tmp_path / "gt" / "w.png")
    Image.fromarray(pred.astype(np.uint16)).save(tmp_path / "pred" / "w.png")
    assert Image.open(tmp_path / "gt" / "w.png").mode.startswith("I")
    np.save(tmp_path / "gt" / "n.npy", gt.astype(np.int32))
    np.save(tmp_path / "pred" / "n.npy", pred.astype(np.int64))
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 4,
                 "--json", out)
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text())
    expected, _ = reference_metrics([(gt, pred)] * 3, 4)
    assert record["metrics"]["miou"] == pytest.approx(expected["miou"])
    assert record["meta"]["num_images"] == 3


@pytest.mark.parametrize("decoder", ["auto", "opencv", "pillow"])
def test_low_bit_depth_greyscale(tmp_path, decoder):
    """1-bit maps are labels 0/1 (np.array(Image.open(f)), what the official evaluators see), not
    0/255, which the default ignore index would silently drop; 2/4-bit maps are refused."""
    from segbench.datasets.readers import read_label_png
    from segbench.errors import FormatError

    rng = np.random.default_rng(5)
    gt = rng.integers(0, 2, (9, 13)).astype(bool)
    pred = np.where(rng.random(gt.shape) < 0.3, ~gt, gt)
    for name, g, p in (("a", gt, pred), ("b", pred, gt)):
        for folder, array in (("gt", g), ("pred", p)):
            (tmp_path / folder).mkdir(exist_ok=True)
            Image.fromarray(array).save(tmp_path / folder / f"{name}.png")  # mode '1': a 1-bit PNG
    path = tmp_path / "gt" / "a.png"
    assert open(path, "rb").read()[24] == 1  # bit depth 1
    decoded = read_label_png(path, decoder)
    assert decoded.dtype == np.uint8 and np.array_equal(decoded, np.asarray(Image.open(path)).astype(np.uint8))
    for bits in (2, 4):  # Pillow and OpenCV scale these (3 -> 255): refused, never a wrong label
        low = rng.integers(0, 2**bits, (9, 13)).astype(np.uint8)
        Image.fromarray(low).save(tmp_path / f"l{bits}.png", bits=bits)
        assert open(tmp_path / f"l{bits}.png", "rb").read()[24] == bits
        with pytest.raises(FormatError, match=f"{bits}-bit greyscale PNG"):
            read_label_png(tmp_path / f"l{bits}.png", decoder)
    from segbench.api import evaluate_semantic, semantic_record

    expected, _ = reference_metrics([(gt.astype(np.uint8), pred.astype(np.uint8)), (pred.astype(np.uint8), gt.astype(np.uint8))], 2)
    record = semantic_record(evaluate_semantic(tmp_path / "gt", tmp_path / "pred", num_classes=2, decoder=decoder))
    assert record["metrics"]["miou"] == pytest.approx(expected["miou"])
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 2, "--json", out)
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["metrics"]["miou"] == pytest.approx(expected["miou"])


def test_16bit_ignore_65535(tmp_path):
    gt = np.array([[1000, 65535], [3, 3]], np.uint16)
    pred = np.array([[1000, 7], [3, 2]], np.uint16)
    Image.fromarray(gt).save(tmp_path / "g.png")
    (tmp_path / "gt").mkdir()
    (tmp_path / "g.png").rename(tmp_path / "gt" / "x.png")
    (tmp_path / "pred").mkdir()
    Image.fromarray(pred).save(tmp_path / "pred" / "x.png")
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 1001,
                 "--ignore-index", 65535, "--json", out, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["metrics"]["pixel_acc"] == pytest.approx(2 / 3)


def test_allow_missing_counts_missing_images_as_wrong(tmp_path):
    gt_dir, pred_dir, pairs = make_folders(tmp_path, n_images=3)
    missing = sorted(pred_dir.rglob("*.png"))[0]
    missing.unlink()
    res = invoke("eval", "semantic", *suffix_args(gt_dir, pred_dir), "--num-classes", 5)
    assert res.exit_code == 2
    assert "1 of 3 ground-truth files have no prediction" in res.output and "city/img0" in res.output
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", *suffix_args(gt_dir, pred_dir), "--num-classes", 5, "--allow-missing",
                 "--json", out)
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text())
    gt0 = pairs[0][0]
    zero_pred = np.full_like(gt0, 250)  # never a class: every valid pixel wrong, no false positive
    rest, _ = reference_metrics(pairs[1:], 5)
    valid_total = sum(int((g != 255).sum()) for g, _ in pairs)
    correct = sum(int(((g == p) & (g != 255)).sum()) for g, p in pairs[1:])
    assert record["metrics"]["pixel_acc"] == pytest.approx(correct / valid_total)
    assert zero_pred is not None and rest["pixel_acc"] > record["metrics"]["pixel_acc"]


# ----------------------------------------------------------------- bad input


def assert_clean_failure(res, *needles, json_path=None):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [l for l in res.output.strip().splitlines() if l.strip()]
    assert len(lines) == 1, res.output
    for needle in needles:
        assert needle in res.output, (needle, res.output)
    if json_path is not None:
        assert not Path(json_path).exists()


@pytest.fixture
def pair_dirs(tmp_path):
    gt = np.zeros((6, 8), np.uint8)
    pred = np.zeros((6, 8), np.uint8)
    save_png(tmp_path / "gt" / "a.png", gt)
    save_png(tmp_path / "pred" / "a.png", pred)
    return tmp_path, tmp_path / "gt", tmp_path / "pred"


def run_bad(gt_dir, pred_dir, tmp_path, *extra, n=3):
    out = tmp_path / "never.json"
    res = invoke("eval", "semantic", "--gt", gt_dir, "--pred", pred_dir, "--num-classes", n, "--json", out, *extra)
    return res, out


def test_prediction_label_out_of_range(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    pred = np.zeros((6, 8), np.uint8)
    pred[2, 5] = 7
    save_png(pred_dir / "a.png", pred)
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "a.png", "predicted label 7", "row 2, col 5", "[0, 3)", json_path=out)


def test_gt_label_out_of_range(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    gt = np.zeros((6, 8), np.uint8)
    gt[1, 1] = 9
    save_png(gt_dir / "a.png", gt)
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "ground-truth label 9", "ignore index (255)", json_path=out)


def test_shape_mismatch(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    save_png(pred_dir / "a.png", np.zeros((6, 9), np.uint8))
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "6x9", "6x8", json_path=out)


def test_rgb_prediction(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    save_png(pred_dir / "a.png", np.zeros((6, 8, 3), np.uint8))
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "a.png", "RGB PNG", "convert", json_path=out)


def test_truncated_png(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    big = np.random.default_rng(0).integers(0, 3, (200, 200)).astype(np.uint8)
    save_png(gt_dir / "a.png", big)
    data = (gt_dir / "a.png").read_bytes()
    (gt_dir / "a.png").write_bytes(data[: len(data) // 2])
    save_png(pred_dir / "a.png", big)
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "a.png", "truncated", json_path=out)


def test_not_a_png(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    (pred_dir / "a.png").write_text("hello")
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "a.png", "not a PNG", json_path=out)


def test_empty_folder(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    res, out = run_bad(tmp_path / "gt", tmp_path / "pred", tmp_path)
    assert_clean_failure(res, "no label files", json_path=out)


def test_missing_folder(tmp_path):
    res, out = run_bad(tmp_path / "nope", tmp_path / "pred", tmp_path)
    assert_clean_failure(res, "does not exist", json_path=out)


def test_num_classes_below_one(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    res, out = run_bad(gt_dir, pred_dir, tmp, n=0)
    assert_clean_failure(res, "--num-classes 0", json_path=out)


def test_bad_ignore_index(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    res, out = run_bad(gt_dir, pred_dir, tmp, "--ignore-index", "abc")
    assert_clean_failure(res, "--ignore-index 'abc'", json_path=out)
    res, out = run_bad(gt_dir, pred_dir, tmp, "--ignore-index", "70000")
    assert_clean_failure(res, "70000", json_path=out)


def test_class_names_count_mismatch(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    names = tmp / "names.txt"
    names.write_text("a\nb\n")
    res, out = run_bad(gt_dir, pred_dir, tmp, "--class-names", names)
    assert_clean_failure(res, "holds 2 class names, expected 3", json_path=out)


def test_float_npy(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    (pred_dir / "a.png").unlink()
    np.save(pred_dir / "a.npy", np.zeros((6, 8), np.float32))
    res, out = run_bad(gt_dir, pred_dir, tmp)
    assert_clean_failure(res, "a.npy", "float32", json_path=out)


def test_debug_shows_traceback(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    res = runner.invoke(app, ["--debug", "eval", "semantic", "--gt", str(gt_dir), "--pred", str(pred_dir),
                              "--num-classes", "0"])
    assert res.exit_code != 0 and res.exception is not None


def test_existing_json_untouched_on_failure(pair_dirs):
    tmp, gt_dir, pred_dir = pair_dirs
    out = tmp / "keep.json"
    out.write_text('{"old": true}')
    save_png(pred_dir / "a.png", np.full((6, 8), 9, np.uint8))
    res = invoke("eval", "semantic", "--gt", gt_dir, "--pred", pred_dir, "--num-classes", 3, "--json", out)
    assert res.exit_code == 2
    assert out.read_text() == '{"old": true}'


# ----------------------------------------------------------------- real data


def test_real_nuclei_image(tmp_path):
    """nuclei-dsb2018 (shared real data): nucleus vs background, prediction = eroded + shifted masks."""
    from scipy import ndimage

    fixtures = Path(__file__).parent / "fixtures" / "nuclei-dsb2018"
    inst = np.asarray(Image.open(fixtures / "nuclei_inst.png"))
    assert inst.shape == (512, 512) and len(np.unique(inst)) - 1 == 125  # README says 126; the PNG holds 125 ids
    gt = (inst > 0).astype(np.uint8)
    pred = ndimage.binary_erosion(gt, iterations=1)
    pred = np.roll(pred, 2, axis=1).astype(np.uint8)
    for y in range(0, 512, 128):  # four tiles per row, as a dataset would be split
        for x in range(0, 512, 256):
            save_png(tmp_path / "gt" / f"tile_{y}_{x}.png", gt[y:y + 128, x:x + 256])
            save_png(tmp_path / "pred" / f"tile_{y}_{x}.png", pred[y:y + 128, x:x + 256])
    out = tmp_path / "r.json"
    res = invoke("eval", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--num-classes", 2,
                 "--ignore-index", "none", "--json", out)
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text())
    tp1 = int(((gt == 1) & (pred == 1)).sum())
    fg_iou = tp1 / int(((gt == 1) | (pred == 1)).sum())
    assert record["per_class"][1]["iou"] == pytest.approx(fg_iou)
    assert record["metrics"]["pixel_acc"] == pytest.approx(float((gt == pred).mean()))
    assert 0.5 < fg_iou < 0.95


def test_ignore_index_with_dataset_is_refused(tmp_path):
    res = invoke("eval", "semantic", "--dataset", "cityscapes", "--root", tmp_path, "--split", "val",
                 "--pred", tmp_path, "--ignore-index", "0")
    assert_clean_failure(res, "--ignore-index cannot be combined with --dataset")
