"""Bad values in result records and leaderboards: a one-line error naming the file and the value,
exit 2; never a traceback, a silently dropped value or a wrong number (compare, leaderboard, plot)."""

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _report_records import instance, panoptic, semantic
from segbench.cli.main import app
from segbench.errors import FormatError, InputError
from segbench.report import bootstrap
from segbench.report.validate import load_result, validate_record


def copy(record: dict) -> dict:
    return json.loads(json.dumps(record))


def write(path: Path, record) -> Path:
    # allow_nan: NaN / Infinity as Python's json module writes (and reads) them
    path.write_text(record if isinstance(record, str) else json.dumps(record, allow_nan=True))
    return path


def run(*args):
    return CliRunner().invoke(app, [*map(str, args)])


def assert_one_line_error(res, *words):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = [l for l in res.output.splitlines() if l.strip()]
    err = [l for l in lines if l.startswith("error:")]
    assert len(err) == 1, res.output
    for w in words:
        assert w in err[0], (w, err[0])


@pytest.fixture
def sem(tmp_path):
    return write(tmp_path / "sem.json", semantic("unet", 1, 0.7))


BAD_METRICS = [("0.5", '"0.5"'), (True, "true"), ([0.5], "[0.5]"), (math.nan, "NaN"), (math.inf, "Infinity"),
               (-0.5, "-0.5"), (42.0, "42.0"), (-1, "-1"), (10 ** 400, "401 digits"), ({"a": 1}, "object")]


# ------------------------------------------------------------------ 1. metric values


@pytest.mark.parametrize("value, shown", BAD_METRICS)
def test_compare_rejects_bad_metric_value(sem, tmp_path, value, shown):
    rec = copy(semantic("fcn", 2, 0.6))
    rec["metrics"]["miou"] = value
    bad = write(tmp_path / "bad.json", rec)
    res = run("compare", sem, bad, "-f", "csv")
    assert_one_line_error(res, "bad.json", "metrics.miou", shown)


@pytest.mark.parametrize("value", [None, 0, 1, 0.0, 1.0, 0.25])
def test_compare_accepts_null_and_fractions(sem, tmp_path, value):
    rec = copy(semantic("fcn", 2, 0.6))
    rec["metrics"]["miou"] = value
    res = run("compare", sem, write(tmp_path / "ok.json", rec), "-f", "csv")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("make", [lambda: semantic("a", 1, 0.7), lambda: instance("b", 0.4), lambda: panoptic("c", 3)])
def test_records_segbench_writes_are_valid(tmp_path, make):
    rec = make()
    path = write(tmp_path / "r.json", rec)
    assert load_result(path) == json.loads(path.read_text())


@pytest.mark.parametrize("key, value, shown", [
    ("iou", "x", '"x"'), ("iou", 1.5, "1.5"), ("iou", math.nan, "NaN"), ("acc", -0.1, "-0.1"),
    ("gt_pixels", math.inf, "Infinity"), ("gt_pixels", 10 ** 400, "401 digits"), ("id", "x", '"x"'),
])
def test_per_class_values_are_checked(sem, tmp_path, key, value, shown):
    rec = copy(semantic("fcn", 2, 0.6))
    rec["per_class"][1][key] = value
    res = run("compare", sem, write(tmp_path / "bad.json", rec), "--per-class", "-f", "csv")
    assert_one_line_error(res, "bad.json", f"per_class[1].{key}", shown)


@pytest.mark.parametrize("key, value", [("num_gt", -1), ("num_gt", 2.5), ("AP", "0.3")])
def test_instance_per_class_counts_and_scores(tmp_path, key, value):
    rec = copy(instance("m", 0.4))
    rec["per_class"][0][key] = value
    with pytest.raises(FormatError, match=rf"per_class\[0\]\.{key}"):
        load_result(write(tmp_path / "i.json", rec))


def test_instance_null_scores_accepted(tmp_path):
    rec = copy(instance("m", 0.4))
    rec["per_class"][0]["APm"] = None
    rec["per_class"][0]["num_gt"] = 0
    load_result(write(tmp_path / "i.json", rec))


def test_oversized_integer_json_is_one_line(tmp_path, sem):
    bad = write(tmp_path / "bad.json", json.dumps(semantic("x", 1, 0.7)).replace('"miou": 0.', '"miou": ' + "9" * 5000 + ', "z": 0.'))
    res = run("compare", sem, bad)
    assert_one_line_error(res, "bad.json")


# ------------------------------------------------------------------ 2. per-image statistics


def _ci(*files):
    return run("compare", *files, "--ci", "95", "--resamples", "50", "-m", "pixel_acc", "-f", "csv")


@pytest.mark.parametrize("change, words", [
    (lambda p: p["tp"][0].__setitem__(0, p["gt"][0][0] + 1), ["stats.per_image.tp[0][0]", "exceeds gt"]),
    (lambda p: p["pred"][1].__setitem__(2, -3), ["stats.per_image.pred[1][2]", "-3"]),
    (lambda p: p["gt"][0].__setitem__(1, 2.5), ["stats.per_image.gt[0][1]", "2.5"]),
    (lambda p: p["gt"][0].__setitem__(1, True), ["stats.per_image.gt[0][1]", "true"]),
    (lambda p: p["gt"][0].__setitem__(1, "7"), ["stats.per_image.gt[0][1]", '"7"']),
    (lambda p: p["names"].pop(), ["stats.per_image.names", "7 names", "8 image rows"]),
    (lambda p: p["tp"].__setitem__(0, p["tp"][0][:-1]), ["stats.per_image.tp", "different lengths"]),
    (lambda p: p.__setitem__("gt", "x"), ["stats.per_image.gt", '"x"']),
    (lambda p: p["gt"][0].__setitem__(1, 10 ** 30), ["stats.per_image.gt", "too large"]),
])
def test_ci_rejects_impossible_semantic_statistics(sem, tmp_path, change, words):
    rec = copy(semantic("fcn", 2, 0.6))
    change(rec["stats"]["per_image"])
    res = _ci(sem, write(tmp_path / "bad.json", rec))
    assert_one_line_error(res, "bad.json", *words)


@pytest.mark.parametrize("change, words", [
    (lambda s: s.__setitem__("isthing", ["x", True, False, False]), ["stats.isthing[0]", '"x"']),
    (lambda s: s.__setitem__("isthing", "x"), ["stats.isthing", '"x"']),
    (lambda s: s.__setitem__("isthing", [True]), ["stats.isthing", "1 flags"]),
    (lambda s: s["per_image"]["fn"][0].__setitem__(0, -1), ["stats.per_image.fn[0][0]"]),
    (lambda s: s["per_image"]["iou_sum"][0].__setitem__(0, s["per_image"]["tp"][0][0] + 0.5),
     ["stats.per_image.iou_sum[0][0]", "exceeds tp"]),
    (lambda s: s["per_image"]["iou_sum"][0].__setitem__(0, math.nan), ["stats.per_image.iou_sum[0][0]"]),
    (lambda s: s.__setitem__("categories", [1, 2, 7]), ["stats.categories", "3 ids"]),
    (lambda s: s.__setitem__("categories", [1, 2, 7, "8"]), ["stats.categories[3]"]),
])
def test_ci_rejects_impossible_panoptic_statistics(tmp_path, change, words):
    good = write(tmp_path / "p.json", panoptic("p", 3))
    rec = copy(panoptic("q", 4))
    change(rec["stats"])
    res = run("compare", good, write(tmp_path / "bad.json", rec), "--ci", "95", "--resamples", "50", "-m", "PQ", "-f", "csv")
    assert_one_line_error(res, "bad.json", *words)


def test_panoptic_per_class_isthing_must_be_bool():
    rec = copy(panoptic("q", 4))
    rec["per_class"][0]["isthing"] = "x"
    with pytest.raises(FormatError, match="isthing"):
        validate_record(rec, "q.json")
    rec["per_class"][0]["isthing"] = True
    rec["stats"].pop("isthing", None)
    bootstrap.bootstrap_intervals(rec, 95, resamples=20)  # valid flags still work


def test_ci_valid_records_unchanged(sem, tmp_path):
    res = _ci(sem, write(tmp_path / "ok.json", semantic("fcn", 2, 0.6)))
    assert res.exit_code == 0, res.output
    assert "pixel acc. 95% CI low" in res.stdout


# ------------------------------------------------------------------ 3. per_class shape


@pytest.mark.parametrize("value, shown", [("x", '"x"'), ([1], "per_class[0]"), ({"a": 1}, "object")])
def test_compare_per_class_not_a_list_of_objects(sem, tmp_path, value, shown):
    rec = copy(semantic("fcn", 2, 0.6))
    rec["per_class"] = value
    res = run("compare", sem, write(tmp_path / "bad.json", rec), "--per-class")
    assert_one_line_error(res, "bad.json", "per_class", shown)


@pytest.mark.parametrize("value", ["x", [1, 2]])
def test_stats_not_an_object(sem, tmp_path, value):
    rec = copy(semantic("fcn", 2, 0.6))
    rec["stats"] = value
    res = _ci(sem, write(tmp_path / "bad.json", rec))
    assert_one_line_error(res, "bad.json", "stats")


# ------------------------------------------------------------------ 4. leaderboards


def lb(*args):
    return run("leaderboard", *args)


@pytest.fixture
def board(tmp_path):
    d = tmp_path / "boards"
    unet = semantic("unet", 1, 0.7)
    assert lb("add", write(tmp_path / "unet.json", unet), "--board", "b", "--dir", d).exit_code == 0
    return d, unet


@pytest.mark.parametrize("value, shown", BAD_METRICS)
def test_leaderboard_add_refuses_bad_metric(tmp_path, value, shown):
    rec = copy(semantic("unet", 1, 0.7))
    rec["metrics"]["miou"] = value
    d = tmp_path / "boards"
    res = lb("add", write(tmp_path / "bad.json", rec), "--board", "b", "--dir", d)
    assert_one_line_error(res, "bad.json", "metrics.miou", shown)
    assert not (d / "b.json").exists()


@pytest.mark.parametrize("value, shown", [(math.inf, "Infinity"), (42, "42"), ("0.5", '"0.5"'), (math.nan, "NaN")])
def test_leaderboard_check_refuses_bad_result(board, tmp_path, value, shown):
    d, unet = board
    rec = copy(unet)
    rec["metrics"]["miou"] = value
    res = lb("check", write(tmp_path / "bad.json", rec), "--board", "b", "--dir", d)
    assert_one_line_error(res, "bad.json", "metrics.miou", shown)


@pytest.mark.parametrize("value, shown", [("x", '"x"'), (math.nan, "NaN"), (math.inf, "Infinity"), (1.5, "1.5")])
@pytest.mark.parametrize("command", ["check", "add", "show", "render"])
def test_leaderboard_refuses_bad_board_entry(board, tmp_path, command, value, shown):
    d, unet = board
    entries = json.loads((d / "b.json").read_text())
    entries[0]["metrics"]["miou"] = value
    write(d / "b.json", entries)
    other = copy(unet)
    other["model"] = "other"
    args = {"check": ["check", write(tmp_path / "r.json", unet), "--board", "b", "--dir", d],
            "add": ["add", write(tmp_path / "o.json", other), "--board", "b", "--dir", d],
            "show": ["show", "b", "--dir", d],
            "render": ["render", "--dir", d]}[command]
    res = lb(*args)
    assert_one_line_error(res, "b.json", "entry 0", "metrics.miou", shown)


@pytest.mark.parametrize("tolerance", ["inf", "nan", "-1"])
def test_leaderboard_check_tolerance_finite(board, tmp_path, tolerance):
    d, unet = board
    res = lb("check", write(tmp_path / "r.json", unet), "--board", "b", "--dir", d, "--tolerance", tolerance)
    assert_one_line_error(res, "--tolerance")


def test_leaderboard_render_missing_dir(tmp_path):
    d = tmp_path / "nope"
    res = lb("render", "--dir", d)
    assert_one_line_error(res, "--dir", str(d), "does not exist")
    assert not d.exists()
    f = write(tmp_path / "file", "x")
    assert_one_line_error(lb("render", "--dir", f), "not a folder")


def test_leaderboard_valid_still_works(board, tmp_path):
    d, unet = board
    assert lb("check", write(tmp_path / "r.json", unet), "--board", "b", "--dir", d, "--tolerance", "0").exit_code == 0
    assert lb("render", "--dir", d).exit_code == 0
    assert lb("show", "b", "--dir", d).exit_code == 0


# ------------------------------------------------------------------ 5. plots


def test_plot_confusion_negative_cell(tmp_path):
    rec = copy(semantic("m", 1, 0.7))
    rec["stats"]["confusion"][1][2] = -5
    out = tmp_path / "c.png"
    res = run("plot", write(tmp_path / "bad.json", rec), "--kind", "confusion", "--out", out)
    assert_one_line_error(res, "bad.json", "stats.confusion[1][2]", "-5")
    assert not out.exists()


@pytest.mark.parametrize("drop", ["meta", "per_class"])
def test_plot_confusion_size_must_match_class_count(tmp_path, drop):
    rec = copy(semantic("m", 1, 0.7))
    cm = rec["stats"]["confusion"]
    rec["stats"]["confusion"] = [row[:-1] for row in cm[:-1]]
    if drop == "per_class":  # without meta.num_classes the per_class rows count the classes
        rec["meta"].pop("num_classes")
    res = run("plot", write(tmp_path / "bad.json", rec), "--kind", "confusion", "--out", tmp_path / "c.png")
    assert_one_line_error(res, "bad.json", "3 x 3", "4")


def test_plot_per_class_bad_value_not_omitted(tmp_path):
    rec = copy(semantic("m", 1, 0.7))
    rec["per_class"][2]["iou"] = "x"
    out = tmp_path / "p.png"
    res = run("plot", write(tmp_path / "bad.json", rec), "--kind", "per-class", "--out", out)
    assert_one_line_error(res, "bad.json", "per_class[2].iou", '"x"')
    assert not out.exists()


def test_plot_library_validates_in_memory_records(tmp_path):
    from segbench.report.plots import plot

    rec = copy(semantic("m", 1, 0.7))
    rec["per_class"][0]["iou"] = "x"
    with pytest.raises(FormatError, match="per_class"):
        plot(rec, "per-class", tmp_path / "p.png")


# ------------------------------------------------------------------ 6. bootstrap options


@pytest.mark.parametrize("args, word", [
    (["--seed", "-1"], "--seed"),
    (["--resamples", "100000000000"], "--resamples"),
    (["--resamples", "0"], "--resamples"),
])
def test_compare_ci_options(sem, args, word):
    res = run("compare", sem, "--ci", "95", *args)
    assert_one_line_error(res, word)


def test_bootstrap_library_limits():
    rec = semantic("a", 1, 0.7)
    with pytest.raises(InputError, match="--seed"):
        bootstrap.bootstrap_intervals(rec, 95, resamples=10, seed=-1)
    with pytest.raises(InputError, match="--resamples"):
        bootstrap.bootstrap_intervals(rec, 95, resamples=bootstrap.MAX_RESAMPLES + 1)
    assert bootstrap.bootstrap_intervals(rec, 95, resamples=10, seed=3)
