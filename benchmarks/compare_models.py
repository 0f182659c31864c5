"""Train-and-evaluate several registry models on one dataset and print one comparison table.

    PYTHONPATH=. python benchmarks/compare_models.py                       # defaults below, shapes
    PYTHONPATH=. python benchmarks/compare_models.py --models fcn32s fcn8s --epochs 6 --format markdown

Each model runs exactly as ``segbench run MODEL DATASET --preset P --seed S`` would (same engine,
same defaults unless ``--epochs``/``--batch-size`` are given), in one process one after the
other, so the timings compare models on the same machine state. Records go to
``OUT/MODEL/result.json``; the table (``segbench.report.records.run_table``, best value of each
metric in bold) goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_MODELS = ["fcn32s", "fcn16s", "fcn8s", "segnet", "unet", "deeplabv3plus"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument("--dataset", default="shapes")
    ap.add_argument("--preset", default="lite")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, default=Path("runs/compare"))
    ap.add_argument("--format", default="markdown", choices=["markdown", "table", "latex", "csv"])
    args = ap.parse_args(argv)

    from segbench.engine.train import RunConfig, run
    from segbench.report.records import run_table
    from segbench.report.tables import mark_best, render

    records = []
    t0 = time.perf_counter()
    for name in args.models:
        cfg = RunConfig(model=name, dataset=args.dataset, preset=args.preset, epochs=args.epochs,
                        batch_size=args.batch_size, seed=args.seed, device=args.device, out=args.out / name,
                        quiet=True)
        rec = run(cfg)
        m = rec["meta"]
        print(f"{name}: {m['train_seconds']:.1f} s training, metrics {rec['metrics'].get('miou', rec['metrics'])}",
              file=sys.stderr)
        records.append(rec)
    table = run_table(records)
    table.caption = (f"{args.dataset}, preset {args.preset}, seed {args.seed}, {os.cpu_count()} CPU cores visible, "
                     f"total {time.perf_counter() - t0:.0f} s")
    mark_best(table, columns=list(range(7, len(table.columns))))
    if args.format == "table":
        from rich.console import Console

        from segbench.report.tables import rich_tables

        for t in rich_tables([table]):
            Console().print(t)
    else:
        sys.stdout.write(render([table], args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
