"""``segbench datasets`` (the registered dataset adapters) and ``segbench datasets show NAME``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, print_tables

app = typer.Typer(help="Dataset adapters: names, tasks, classes, splits; class tables with colours.",
                  invoke_without_command=True)


@app.callback()
def list_datasets(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """List the registered datasets (built-in and from the `segbench.datasets` entry-point group)."""
    if ctx.invoked_subcommand is not None:
        return
    with cli_errors():
        from segbench.datasets.base import dataset_names, get_dataset
        from segbench.report.tables import Table

        rows = []
        for name in dataset_names():
            d = get_dataset(name).describe()
            rows.append(d)
        table = Table(
            title="Datasets", columns=["name", "tasks", "classes", "ignore", "splits", "description"],
            kinds=["label"] * 6,
            rows=[[d["name"], ", ".join(d["tasks"]), "-" if d["classes"] is None else str(d["classes"]),
                   "none" if d["ignore"] is None else str(d["ignore"]), ", ".join(d["splits"]), d["description"]]
                  for d in rows],
        )
        print_tables([table], fmt, rows)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Dataset name (see `segbench datasets`)."),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset root, for datasets whose labels come from a file (Mapillary)."),
    all_labels: bool = typer.Option(False, "--all", help="Also list the raw ids that are not evaluated."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """The class table of a dataset: evaluation id, raw label id, name, colour, thing/stuff."""
    with cli_errors():
        from segbench.datasets.base import get_dataset
        from segbench.report.tables import Table

        import inspect

        from segbench.datasets.base import DATASETS, _load_builtin_adapters

        _load_builtin_adapters()
        takes_root = "root" in inspect.signature(DATASETS.get(name)).parameters
        adapter = get_dataset(name, **({"root": root} if root is not None and takes_root else {}))
        table_obj = getattr(adapter, "label_table", None)
        rows = []
        if table_obj is not None:
            t = adapter.label_table()
            for r in t.rows if all_labels else t.eval_rows():
                e = int(t.raw_to_eval[r.id])
                rows.append({"id": e if e >= 0 else None, "label_id": r.id, "name": r.name,
                             "color": list(r.color), "thing": r.has_instances, "evaluated": e >= 0,
                             "category": r.category})
        else:
            rows = [{"id": c.id, "label_id": c.label_id, "name": c.name, "color": list(c.color), "thing": c.isthing,
                     "evaluated": True, "category": ""} for c in adapter.classes()]
        d = adapter.describe()
        has_cat = any(r["category"] for r in rows)
        columns = ["id", "label id", "name", "colour", "thing"] + (["category"] if has_cat else []) + (["evaluated"] if all_labels else [])
        table = Table(
            title=f"{name}: {d['classes']} classes, ignore {d['ignore']}, splits {', '.join(d['splits'])}",
            columns=columns, kinds=["label"] * len(columns),
            rows=[[("-" if r["id"] is None else str(r["id"])), str(r["label_id"]), r["name"],
                   "#{:02x}{:02x}{:02x} ({},{},{})".format(*r["color"], *r["color"]), "yes" if r["thing"] else ""]
                  + ([r["category"]] if has_cat else []) + (["yes" if r["evaluated"] else "no"] if all_labels else [])
                  for r in rows],
        )
        print_tables([table], fmt, {"dataset": d, "classes": rows})
