"""Time ``segbench eval semantic --dataset cityscapes`` against cityscapesScripts'
``evalPixelLevelSemanticLabeling`` on the same synthetic tree in the official layout.

    python benchmarks/bench_cityscapes_dataset.py [--images 20] [--height 512] [--width 1024] [--jobs 0]

Both evaluate labelId predictions with iIoU (instanceIds) on; the script checks that the two give
the same mIoU / iIoU / category scores and prints seconds and the ratio. cityscapesScripts 2.3.0
needs ``np.in1d`` (removed in numpy 2.4): patched here for the reference run only.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def make_tree(root: Path, pred: Path, n: int, h: int, w: int, seed: int = 0) -> list[tuple[Path, Path]]:
    rng = np.random.default_rng(seed)
    stuff = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 0, 4, 9]
    things = [24, 25, 26, 27, 28, 31, 32, 33]
    pairs = []
    for i in range(n):
        city = ("frankfurt", "lindau", "munster")[i % 3]
        key = f"{city}_{i:06d}_000019"
        label = np.full((h, w), 7, np.uint8)
        for _ in range(30):
            y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
            label[y:y + rng.integers(8, h // 3), x:x + rng.integers(8, w // 3)] = rng.choice(stuff)
        inst = label.astype(np.uint16)
        for j in range(40):
            lid = int(rng.choice(things))
            y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
            sl = (slice(y, y + rng.integers(4, h // 8)), slice(x, x + rng.integers(4, w // 8)))
            label[sl] = lid
            inst[sl] = lid * 1000 + j
        pred_map = label.copy()
        flip = rng.random((h, w)) < 0.2
        pred_map[flip] = rng.integers(0, 34, int(flip.sum()), dtype=np.uint8)
        d = root / "gtFine" / "val" / city
        d.mkdir(parents=True, exist_ok=True)
        gt_path = d / f"{key}_gtFine_labelIds.png"
        cv2.imwrite(str(gt_path), label)
        cv2.imwrite(str(d / f"{key}_gtFine_instanceIds.png"), inst)
        pred.mkdir(parents=True, exist_ok=True)
        p = pred / f"{key}_leftImg8bit.png"
        cv2.imwrite(str(p), pred_map)
        pairs.append((gt_path, p))
    return sorted(pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--jobs", type=int, default=0)
    args = ap.parse_args()

    from segbench.datasets.base import get_dataset
    from segbench.engine.dataset_eval import dataset_semantic_record, evaluate_semantic_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root, pred = Path(tmp) / "cityscapes", Path(tmp) / "pred"
        pairs = make_tree(root, pred, args.images, args.height, args.width)
        adapter = get_dataset("cityscapes")
        evaluate_semantic_dataset(adapter, root, "val", pred, jobs=args.jobs)  # warm-up (Numba cache, page cache)
        t0 = time.perf_counter()
        ev = evaluate_semantic_dataset(adapter, root, "val", pred, jobs=args.jobs)
        t_seg = time.perf_counter() - t0
        rec = dataset_semantic_record(ev, adapter)

        from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as cs

        if not hasattr(np, "in1d"):
            np.in1d = lambda a, b, invert=False: np.isin(a, b, invert=invert).ravel()
        cs.args.JSONOutput = False
        cs.args.quiet = True
        t0 = time.perf_counter()
        res = cs.evaluateImgLists([str(p) for _, p in pairs], [str(g) for g, _ in pairs], cs.args)
        t_cs = time.perf_counter() - t0

    m = rec["metrics"]
    for ours, theirs in (("miou", "averageScoreClasses"), ("iiou", "averageScoreInstClasses"),
                         ("cat_miou", "averageScoreCategories"), ("cat_iiou", "averageScoreInstCategories")):
        assert math.isclose(m[ours], res[theirs], rel_tol=1e-12), (ours, m[ours], res[theirs])
    print(f"{args.images} images {args.height}x{args.width}, jobs={args.jobs or 'all'}: "
          f"mIoU {m['miou']:.4f} iIoU {m['iiou']:.4f} (identical)")
    print(f"segbench      {t_seg:8.3f} s")
    print(f"cityscapesScripts {t_cs:8.3f} s")
    print(f"speed-up      {t_cs / t_seg:8.1f}x")


if __name__ == "__main__":
    main()
