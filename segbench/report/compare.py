"""Comparison tables over several result records (``segbench compare``), like the papers' tables.

Conventions:

- One row per result, labelled by ``--label`` or the record's ``model`` (then ``dataset``, then
  the file name); a label that occurs twice gets the file name appended.
- Columns are the metrics, in the papers' order (``report.records.SUMMARY_COLUMNS``) and then any
  further metric a record carries; values are fractions, rendered as percentages with one decimal.
  The best value of each column is bold (higher is better for every segbench metric; ties are all
  bold); a metric a record lacks (or that is ``null``) shows ``-``.
- Records of different tasks go into separate tables, one per task, in order of first appearance.
- ``--metrics`` picks columns by key (``miou``) or header (``mean IU``), case-insensitively.
- ``--sort METRIC`` orders rows by that metric, best first; missing values last.
- ``--delta BASELINE`` adds after each metric a ``Δ`` column: value minus the baseline row's value
  (percentage points); the baseline row is given by label or file path.
- ``--ci LEVEL`` adds after each metric the bootstrap percentile interval over images
  (:mod:`segbench.report.bootstrap`) for records with per-image statistics; ``--resamples``
  from 1 to 1,000,000, ``--seed`` >= 0.
- Records are validated when loaded (:mod:`segbench.report.validate`): a metric that is not
  ``null`` or a finite fraction in [0, 1] is a one-line error naming the file and the value.
- ``--per-class`` gives instead the wide table of per-class scores (semantic IoU, instance AP,
  panoptic PQ), one column per class (matched by name) plus the dataset-level mean, as in
  Cityscapes papers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from segbench.errors import InputError
from segbench.report.records import summary_columns
from segbench.report.validate import load_result
from segbench.report.tables import Table, mark_best

TASK_TITLES = {
    "semantic": "Semantic segmentation",
    "instance": "Instance segmentation (COCO mask AP)",
    "panoptic": "Panoptic segmentation",
}

# per-class key and the dataset-level metric shown beside it in the wide table
PER_CLASS_KEY = {"semantic": ("iou", "IoU", "miou", "mean IU"), "instance": ("AP", "AP", "AP", "AP"),
                 "panoptic": ("PQ", "PQ", "PQ", "PQ")}

DELTA = "\u0394"


@dataclass
class Result:
    """One result record to compare, with its row label and the file it came from."""

    label: str
    record: dict
    source: str = "<record>"


@dataclass
class Comparison:
    tables: list[Table]
    notes: list[str] = field(default_factory=list)


def load_results(paths: list[str | os.PathLike], labels: list[str] | None = None) -> list[Result]:
    """Load and validate records; every file is read before anything is rendered."""
    if not paths:
        raise InputError("compare: expected at least one RESULT.json")
    if labels and len(labels) != len(paths):
        raise InputError(f"--label given {len(labels)} times for {len(paths)} results; expected one label per result")
    records = [load_result(p) for p in paths]
    if labels:
        return [Result(lbl, rec, str(p)) for lbl, rec, p in zip(labels, records, paths)]
    auto = [rec.get("model") or rec.get("dataset") or Path(p).stem for rec, p in zip(records, paths)]
    results = []
    for lbl, rec, p in zip(auto, records, paths):
        if auto.count(lbl) > 1:
            lbl = f"{lbl} [{Path(p).stem}]" if Path(p).stem != lbl else f"{lbl} [{p}]"
        results.append(Result(str(lbl), rec, str(p)))
    return results


def group_by_task(results: list[Result]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.record["task"], []).append(r)
    return groups


def _numeric(value) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def _group_columns(task: str, results: list[Result]) -> list[tuple[str, str]]:
    merged: dict = {}
    for r in results:
        for k, v in r.record["metrics"].items():
            if k not in merged or merged[k] is None:
                merged[k] = v
    return summary_columns(task, merged)


def _match(name: str, columns: list[tuple[str, str]]) -> tuple[str, str] | None:
    low = name.strip().lower()
    for key, header in columns:
        if key.lower() == low or header.lower() == low:
            return key, header
    return None


def select_columns(groups: dict[str, list[Result]], metrics: list[str] | None) -> dict[str, list[tuple[str, str]]]:
    """Columns per task; ``metrics`` (keys or headers) must each exist in at least one task."""
    available = {task: _group_columns(task, rs) for task, rs in groups.items()}
    if not metrics:
        return available
    chosen: dict[str, list[tuple[str, str]]] = {task: [] for task in groups}
    for name in metrics:
        found = False
        for task, cols in available.items():
            hit = _match(name, cols)
            if hit and hit not in chosen[task]:
                chosen[task].append(hit)
                found = True
            elif hit:
                found = True
        if not found:
            keys = sorted({k for cols in available.values() for k, _ in cols})
            raise InputError(f"--metrics {name!r}: no result has this metric; available: {', '.join(keys)}")
    return {task: cols for task, cols in chosen.items() if cols}


def _sort(results: list[Result], key: str | None, values) -> list[Result]:
    if key is None:
        return results
    def sort_key(r: Result):
        v = values(r)
        return (v is None, -(v or 0.0))
    return sorted(results, key=sort_key)


def _find_baseline(results: list[Result], baseline: str) -> Result:
    for r in results:
        if r.label == baseline:
            return r
    target = os.path.abspath(baseline)
    for r in results:
        if r.source == baseline or os.path.abspath(r.source) == target:
            return r
    labels = ", ".join(repr(r.label) for r in results)
    raise InputError(f"--delta {baseline!r}: no result has this label or path; rows are {labels}")


def compare(results: list[Result], *, metrics: list[str] | None = None, per_class: bool = False,
            sort: str | None = None, delta: str | None = None, ci: float | None = None,
            resamples: int | None = None, seed: int | None = None, caption: str | None = None) -> Comparison:
    """Build the comparison tables (see the module docstring for the conventions)."""
    from segbench.report import bootstrap

    resamples = bootstrap.DEFAULT_RESAMPLES if resamples is None else resamples
    seed = bootstrap.DEFAULT_SEED if seed is None else seed
    if per_class and (delta is not None or ci is not None):
        raise InputError("--per-class cannot be combined with --delta or --ci; they apply to the summary table")
    if ci is not None and not (0.0 < ci < 100.0):
        raise InputError(f"--ci {ci:g}: expected a confidence level in percent, strictly between 0 and 100")
    if ci is not None:
        bootstrap.check_resampling(resamples, seed)
    groups = group_by_task(results)
    baseline = _find_baseline(results, delta) if delta is not None else None
    notes: list[str] = []
    if per_class:
        tables = [_per_class_table(task, rs, sort, caption, len(groups) > 1) for task, rs in groups.items()]
        return Comparison([t for t in tables if t is not None], notes)

    columns = select_columns(groups, metrics)
    if sort is not None and not any(_match(sort, cols) for cols in columns.values()):
        raise InputError(f"--sort {sort!r}: no column of the comparison has this metric")
    if baseline is not None and baseline.record["task"] not in columns:
        raise InputError(f"--delta {delta!r}: the baseline's task has no selected metric")

    tables = []
    for task, rs in groups.items():
        if task not in columns:
            notes.append(f"{task} results left out: none of the selected metrics applies to them")
            continue
        cols = columns[task]
        sort_hit = _match(sort, cols) if sort else None
        rs = _sort(rs, sort_hit[0] if sort_hit else None,
                   lambda r: _numeric(r.record["metrics"].get(sort_hit[0])) if sort_hit else None)
        intervals = None
        if ci is not None and any(bootstrap.supports_bootstrap(r.record) for r in rs):
            intervals = _intervals(rs, cols, ci, resamples, seed, notes)
        elif ci is not None:
            notes.append(f"no {ci:g}% intervals for the {task} table: its results carry no per-image statistics")
        base = baseline if baseline is not None and baseline.record["task"] == task else None
        if baseline is not None and base is None:
            notes.append(f"no {DELTA} for the {task} table: the baseline {baseline.label!r} is a {baseline.record['task']} result")
        header, kinds, best_cols = [""], ["label"], []
        for key, head in cols:
            best_cols.append(len(header))
            header.append(head)
            kinds.append("percent")
            if intervals is not None:
                header.append(f"{head} {ci:g}% CI")
                kinds.append("interval")
            if base is not None:
                header.append(f"{DELTA} {head}")
                kinds.append("signed_percent")
        rows = []
        for r in rs:
            row: list = [r.label]
            for key, _ in cols:
                value = _numeric(r.record["metrics"].get(key))
                row.append(value)
                if intervals is not None:
                    iv = intervals.get(id(r), {}).get(key)
                    row.append((iv.low, iv.high) if iv is not None else None)
                if base is not None:
                    ref = _numeric(base.record["metrics"].get(key))
                    row.append(None if r is base or value is None or ref is None else value - ref)
            rows.append(row)
        title = TASK_TITLES.get(task, task)
        table = Table(title=title, columns=header, kinds=kinds, rows=rows,
                      caption=_caption(caption, title, len(groups) > 1))
        tables.append(mark_best(table, best_cols))
    return Comparison(tables, notes)


def _caption(caption: str | None, title: str, several: bool) -> str | None:
    if caption is None:
        return None
    return f"{caption} ({title})" if several else caption


def _intervals(rs: list[Result], cols, ci: float, resamples: int, seed: int, notes: list[str]) -> dict:
    from segbench.report import bootstrap

    out = {}
    for r in rs:
        if not bootstrap.supports_bootstrap(r.record):
            notes.append(f"{r.source}: no per-image statistics; no {ci:g}% interval for {r.label!r}")
            continue
        ivs = bootstrap.bootstrap_intervals(r.record, ci, resamples, seed, r.source)
        for key, _ in cols:
            stored = _numeric(r.record["metrics"].get(key))
            iv = ivs.get(key)
            if iv is not None and stored is not None and abs(iv.point - stored) > 1e-6:
                notes.append(f"{r.source}: {key} from stats.per_image is {iv.point:.6f} but the record says "
                             f"{stored:.6f}; the interval describes the per-image statistics")
        out[id(r)] = ivs
    return out


def _per_class_table(task: str, rs: list[Result], sort: str | None, caption: str | None, several: bool) -> Table | None:
    key, head, mean_key, mean_head = PER_CLASS_KEY[task]
    classes: list[str] = []
    for r in rs:
        for row in r.record.get("per_class") or []:
            name = str(row.get("name") if row.get("name") is not None else row.get("id"))
            if name not in classes and key in row:
                classes.append(name)
    if not classes:
        return None
    sort_hit = None
    if sort is not None:
        low = sort.strip().lower()
        sort_hit = next((c for c in [mean_key] + classes if c.lower() == low), None)
        if sort_hit is None and low in (mean_head.lower(), "mean"):
            sort_hit = mean_key
        if sort_hit is None:
            raise InputError(f"--sort {sort!r}: the per-class {task} table has no such column; "
                             f"expected {mean_key} or a class name")

    def value(r: Result, column: str):
        if column == mean_key:
            return _numeric(r.record["metrics"].get(mean_key))
        for row in r.record.get("per_class") or []:
            name = str(row.get("name") if row.get("name") is not None else row.get("id"))
            if name == column:
                return _numeric(row.get(key))
        return None

    rs = _sort(rs, sort_hit, lambda r: value(r, sort_hit)) if sort_hit else rs
    rows = [[r.label] + [value(r, c) for c in classes] + [value(r, mean_key)] for r in rs]
    title = f"{TASK_TITLES.get(task, task)}: per-class {head}"
    table = Table(title=title, columns=[""] + classes + [mean_head], kinds=["label"] + ["percent"] * (len(classes) + 1),
                  rows=rows, caption=_caption(caption, title, several))
    return mark_best(table)
