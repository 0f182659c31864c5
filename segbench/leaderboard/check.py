"""Regression check of a result against its leaderboard entry, and the boards' tables.

A metric *regresses* when ``100 * (board - result) > tolerance`` (tolerance in percentage points,
metrics are fractions) or when the board has a value and the result has none. Every segbench
metric is higher-is-better. Metrics compared: ``metrics`` if given (each must be on the entry),
else every metric the board entry has a value for.
"""

from __future__ import annotations

from dataclasses import dataclass

from segbench.errors import InputError
from segbench.leaderboard.board import PRIMARY_METRIC, board_task, find_entry
from segbench.report.records import summary_columns
from segbench.report.tables import Table, mark_best

_EPS = 1e-9


@dataclass
class MetricCheck:
    metric: str
    board: float | None
    result: float | None
    regressed: bool

    @property
    def delta(self) -> float | None:
        if self.board is None or self.result is None:
            return None
        return self.result - self.board


@dataclass
class CheckReport:
    board: str
    model: str
    preset: str | None
    tolerance: float
    checks: list[MetricCheck]
    notes: list[str]

    @property
    def regressions(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.regressed]

    @property
    def ok(self) -> bool:
        return not self.regressions

    def table(self, only_regressions: bool = False) -> Table:
        rows = [c for c in self.checks if c.regressed or not only_regressions]
        title = (("Regressions on " if only_regressions else "") + f"{self.board}: {self.model}" + (f" ({self.preset})" if self.preset else "")
                 + f", tolerance {self.tolerance:g} pp")
        return Table(
            title=title,
            columns=["metric", "board", "result", "\u0394", "status"],
            kinds=["label", "percent", "percent", "signed_percent", "label"],
            rows=[[c.metric, c.board, c.result, c.delta, "REGRESSED" if c.regressed else "ok"] for c in rows],
        )


def _value(v) -> float | None:
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return None if v != v else float(v)


def check_result(record: dict, entries: list[dict], *, board: str = "board", tolerance: float = 0.5,
                 metrics: list[str] | None = None, model: str | None = None, source: str = "<record>") -> CheckReport:
    """Compare ``record`` with the board's entry for its model (see the module docstring)."""
    if not (tolerance >= 0.0):
        raise InputError(f"--tolerance {tolerance}: expected a non-negative number of percentage points")
    task = board_task(entries)
    if task is None:
        raise InputError(f"board {board!r} is empty; add a baseline with 'segbench leaderboard add'")
    if record["task"] != task:
        raise InputError(f"{source}: the result's task is {record['task']} but board {board!r} holds {task} results")
    name = model or record.get("model")
    if not name:
        raise InputError(f"{source}: the result has no 'model' name; pass --model NAME")
    preset = (record.get("meta") or {}).get("preset")
    entry = find_entry(entries, name, preset, board)
    notes = []
    if entry.get("dataset") and record.get("dataset") and entry["dataset"] != record["dataset"]:
        notes.append(f"dataset differs: board entry {entry['dataset']!r}, result {record['dataset']!r}")
    if (entry.get("convention") or "default") != (record.get("convention") or "default"):
        raise InputError(f"{source}: convention {record.get('convention')!r} differs from the board entry's "
                         f"{entry.get('convention')!r}; the numbers are not comparable")
    board_metrics = entry["metrics"]
    if metrics:
        keys = []
        lower = {k.lower(): k for k in board_metrics}
        for m in metrics:
            key = lower.get(m.strip().lower())
            if key is None:
                raise InputError(f"--metrics {m!r}: the board entry for {name!r} has no such metric; "
                                 f"it has {', '.join(board_metrics)}")
            keys.append(key)
    else:
        keys = [k for k, _ in summary_columns(task, board_metrics) if _value(board_metrics.get(k)) is not None]
    checks = []
    for key in keys:
        ref = _value(board_metrics.get(key))
        got = _value(record["metrics"].get(key))
        if ref is None:
            regressed = False
        elif got is None:
            regressed = True
        else:
            regressed = 100.0 * (ref - got) > tolerance + _EPS
        checks.append(MetricCheck(key, ref, got, regressed))
    return CheckReport(board, name, entry.get("preset"), tolerance, checks, notes)


def board_table(name: str, entries: list[dict]) -> Table:
    """The board as a paper-style table, ranked by the task's primary metric, best bold."""
    task = board_task(entries) or "semantic"
    merged: dict = {}
    for e in entries:
        for k, v in e["metrics"].items():
            merged.setdefault(k, v)
    cols = summary_columns(task, merged)
    primary = PRIMARY_METRIC.get(task)

    def rank(e):
        v = _value(e["metrics"].get(primary))
        return (v is None, -(v or 0.0))

    ordered = sorted(entries, key=rank)
    header = ["model", "preset"] + [h for _, h in cols] + ["segbench", "commit", "date"]
    kinds = ["label", "label"] + ["percent"] * len(cols) + ["label"] * 3
    rows = []
    for e in ordered:
        commit = (e.get("git_commit") or "")[:8] or None
        date = (e.get("date") or "")[:10] or None
        rows.append([e["model"], e.get("preset")] + [_value(e["metrics"].get(k)) for k, _ in cols]
                    + [e.get("segbench_version"), commit, date])
    dataset = next((e.get("dataset") for e in entries if e.get("dataset")), None)
    title = f"{name}" + (f" ({task}, {dataset})" if dataset else f" ({task})")
    return mark_best(Table(title=title, columns=header, kinds=kinds, rows=rows),
                     list(range(2, 2 + len(cols))))
