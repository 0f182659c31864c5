#!/usr/bin/env python3
"""Bootstrap CIs over images: segbench's vectorised resampling vs the plain per-resample loop.

    python benchmarks/bench_bootstrap.py [--images 500] [--classes 19] [--resamples 1000]

Both compute the same percentile intervals from the same per-image counts and the same seed (the
script checks they agree); the loop is the obvious implementation: for each resample, index the
per-image count rows, sum them and compute the metrics.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segbench.metrics.semantic import semantic_metrics  # noqa: E402
from segbench.report.bootstrap import bootstrap_intervals  # noqa: E402


def make_record(images: int, classes: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 50_000, (images, classes)) * (rng.random((images, classes)) < 0.6)
    tp = (gt * rng.uniform(0.3, 0.98, (images, classes))).astype(np.int64)
    pred = tp + rng.integers(0, 5_000, (images, classes))
    return {"task": "semantic", "convention": "default", "metrics": {},
            "stats": {"per_image": {"names": [str(i) for i in range(images)], "tp": tp, "gt": gt, "pred": pred}}}


def loop_intervals(record: dict, resamples: int, seed: int, ci: float = 95.0) -> dict:
    per = record["stats"]["per_image"]
    tp, gt, pred = (np.asarray(per[k]) for k in ("tp", "gt", "pred"))
    idx = np.random.default_rng(seed).integers(0, tp.shape[0], size=(resamples, tp.shape[0]))
    values: dict[str, list] = {}
    for b in range(resamples):
        s, _ = semantic_metrics(tp[idx[b]].sum(0), gt[idx[b]].sum(0), pred[idx[b]].sum(0))
        for k, v in s.items():
            values.setdefault(k, []).append(v)
    a = (100 - ci) / 2
    return {k: tuple(np.percentile(np.array(v)[~np.isnan(v)], [a, 100 - a])) for k, v in values.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--classes", type=int, default=19)
    ap.add_argument("--resamples", type=int, default=1000)
    args = ap.parse_args()
    rec = make_record(args.images, args.classes)
    bootstrap_intervals(rec, resamples=10)  # warm-up (imports)
    t0 = time.perf_counter()
    fast = bootstrap_intervals(rec, resamples=args.resamples, seed=0)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = loop_intervals(rec, args.resamples, seed=0)
    t_slow = time.perf_counter() - t0
    for k, iv in fast.items():
        assert np.allclose((iv.low, iv.high), slow[k], rtol=0, atol=1e-12), k
    print(f"{args.images} images x {args.classes} classes, {args.resamples} resamples, 95% intervals of 5 metrics")
    print(f"  segbench (vectorised)  {t_fast * 1000:8.1f} ms")
    print(f"  per-resample loop      {t_slow * 1000:8.1f} ms")
    print(f"  speed-up               {t_slow / t_fast:8.1f} x   (intervals identical)")


if __name__ == "__main__":
    main()
