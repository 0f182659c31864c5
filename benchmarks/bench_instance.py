"""COCO mask AP: segbench vs pycocotools vs faster-coco-eval, whole process, same workload, one run.

    PYTHONPATH=. python benchmarks/bench_instance.py [--images 500] [--categories 80] [--repeat 3]

Generates a synthetic COCO workload (default: 500 images of 480x640, 80 categories, ~7 ground-truth
objects and 50-100 detections per image, written directly as RLE), then runs each tool in a fresh
Python process (imports, JSON parsing, mask decoding, evaluation, accumulation, summary) and
reports wall time and peak memory (max RSS of the process), checks that the 12 numbers agree, and
prints where segbench's time goes (the per-stage timings it records in its result ``meta``).
Timings on a shared 2-core machine swing by 30-50 %: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def ellipse_counts(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> list[int] | None:
    """Column-major run lengths of a filled ellipse kept 1 px off the top and bottom edges."""
    xs = np.arange(max(0, int(np.ceil(cx - rx))), min(w - 1, int(np.floor(cx + rx))) + 1)
    if xs.size == 0:
        return None
    hh = ry * np.sqrt(np.clip(1.0 - ((xs - cx) / rx) ** 2, 0, None))
    y0 = np.clip(np.ceil(cy - hh), 1, h - 2).astype(np.int64)
    y1 = np.clip(np.floor(cy + hh), 1, h - 2).astype(np.int64)
    ok = y1 >= y0
    xs, y0, y1 = xs[ok], y0[ok], y1[ok]
    if xs.size == 0:
        return None
    starts = xs * h + y0
    ends = xs * h + y1 + 1
    bounds = np.empty(2 * xs.size + 2, np.int64)
    bounds[0] = 0
    bounds[1:-1:2] = starts
    bounds[2:-1:2] = ends
    bounds[-1] = h * w
    return np.diff(bounds).tolist()


def generate(out: Path, images: int, categories: int, seed: int = 0, h: int = 480, w: int = 640) -> tuple[Path, Path]:
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(seed)
    cats = [{"id": c + 1, "name": f"class{c + 1}", "supercategory": "thing"} for c in range(categories)]
    imgs, anns, results = [], [], []
    ann_id = 1

    def rle(counts):
        r = mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
        return {"size": [h, w], "counts": r["counts"].decode("ascii")}

    for i in range(images):
        img_id = i + 1
        imgs.append({"id": img_id, "height": h, "width": w, "file_name": f"{img_id:06d}.jpg"})
        objs = []
        for _ in range(int(rng.integers(3, 12))):
            # sizes spread over small / medium / large
            r = float(np.exp(rng.uniform(np.log(3), np.log(150))))
            ry, rx = r * rng.uniform(0.6, 1.4), r * rng.uniform(0.6, 1.4)
            cy, cx = rng.uniform(ry, h - ry), rng.uniform(rx, w - rx)
            counts = ellipse_counts(h, w, cy, cx, ry, rx)
            if counts is None:
                continue
            cat = int(rng.integers(1, categories + 1))
            crowd = rng.random() < 0.01
            area = int(sum(counts[1::2]))
            seg = {"size": [h, w], "counts": counts} if crowd else rle(counts)
            anns.append({"id": ann_id, "image_id": img_id, "category_id": cat, "iscrowd": int(crowd),
                         "area": float(area), "bbox": [cx - rx, cy - ry, 2 * rx, 2 * ry], "segmentation": seg})
            ann_id += 1
            objs.append((cat, cy, cx, ry, rx))
        n_det = int(rng.integers(50, 101))
        dets = []
        for cat, cy, cx, ry, rx in objs:  # true positives and near-duplicates
            for _ in range(int(rng.integers(1, 6))):
                s = rng.normal(1.0, 0.12)
                dets.append((cat if rng.random() < 0.9 else int(rng.integers(1, categories + 1)),
                             cy + rng.normal(0, 0.15 * ry), cx + rng.normal(0, 0.15 * rx), ry * s, rx * s,
                             float(rng.uniform(0.3, 1.0))))
        while len(dets) < n_det:  # false positives
            r = float(np.exp(rng.uniform(np.log(3), np.log(100))))
            dets.append((int(rng.integers(1, categories + 1)), rng.uniform(r, h - r), rng.uniform(r, w - r),
                         r, r * rng.uniform(0.6, 1.4), float(rng.uniform(0.0, 0.6))))
        for cat, cy, cx, ry, rx, score in dets[:n_det]:
            counts = ellipse_counts(h, w, cy, cx, max(ry, 1.0), max(rx, 1.0))
            if counts is None:
                continue
            results.append({"image_id": img_id, "category_id": cat, "segmentation": rle(counts),
                            "score": round(score, 3)})
    out.mkdir(parents=True, exist_ok=True)
    gt_path, res_path = out / "instances.json", out / "results.json"
    gt_path.write_text(json.dumps({"images": imgs, "annotations": anns, "categories": cats}))
    res_path.write_text(json.dumps(results))
    return gt_path, res_path


PYCOCO = """
import json, sys, contextlib, io
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = COCOeval(gt, dt, "segm"); E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps([float(v) for v in E.stats]))
"""

FASTER = """
import json, sys, contextlib, io
from faster_coco_eval import COCO, COCOeval_faster
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = COCOeval_faster(gt, dt, "segm", print_function=lambda *a, **k: None)
    E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps([float(v) for v in E.stats]))
"""


def run_measured(cmd: list[str], env: dict) -> tuple[float, float, str]:
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:6])} failed ({proc.returncode}):\n{se.read()[-3000:]}")
        return wall, usage.ru_maxrss / 1024.0, so.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--categories", type=int, default=80)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool, round-robin (the fastest is reported)")
    ap.add_argument("--data", type=Path, default=None, help="workload folder (default: a temp folder)")
    ap.add_argument("--tools", default="pycocotools,faster-coco-eval,segbench")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    data = args.data or Path(tmp.name)
    t = time.perf_counter()
    gt_path, res_path = generate(data, args.images, args.categories)
    gt = json.loads(gt_path.read_text())
    n_res = len(json.loads(res_path.read_text()))
    print(f"workload: {args.images} images x {args.categories} categories, {len(gt['annotations'])} GT, "
          f"{n_res} detections ({gt_path.stat().st_size / 1e6:.1f} + {res_path.stat().st_size / 1e6:.1f} MB JSON), "
          f"generated in {time.perf_counter() - t:.1f} s")

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    record_path = data / "segbench.json"
    commands = {
        "pycocotools": [sys.executable, "-c", PYCOCO, str(gt_path), str(res_path)],
        "faster-coco-eval": [sys.executable, "-c", FASTER, str(gt_path), str(res_path)],
        "segbench": [sys.executable, "-m", "segbench", "eval", "instance", "--gt", str(gt_path), "--pred",
                     str(res_path), "--format", "json", "--json", str(record_path)],
    }
    tools = [t.strip() for t in args.tools.split(",")]
    # warm the Numba cache once so that segbench's timed runs load compiled kernels, as users' runs do
    if "segbench" in tools:
        run_measured(commands["segbench"], env)
    best: dict[str, tuple] = {}
    for _ in range(args.repeat):  # round-robin, so that load from other processes hits all tools alike
        for name in tools:
            wall, rss, out = run_measured(commands[name], env)
            if name not in best or wall < best[name][0]:
                best[name] = (wall, rss, out)
                if name == "segbench":  # keep the fastest run's per-stage timings
                    best_record = record_path.read_text()
    results = {}
    for name in tools:
        wall, rss, out = best[name]
        if name == "segbench":
            rec = json.loads(out)
            stats = [(-1.0 if rec["metrics"][k] is None else rec["metrics"][k]) for k in KEYS]
        else:
            stats = json.loads(out.strip().splitlines()[-1])
        results[name] = (wall, rss, np.array(stats))

    print(f"\n{'tool':<18}{'wall s':>8}{'peak MiB':>10}{'vs segbench':>13}   AP / AP50 / AP75")
    base = results.get("segbench", (None,))[0]
    for name, (wall, rss, stats) in results.items():
        ratio = f"{wall / base:.2f}x" if base else "-"
        print(f"{name:<18}{wall:>8.2f}{rss:>10.0f}{ratio:>13}   {stats[0]:.4f} / {stats[1]:.4f} / {stats[2]:.4f}")
    if "segbench" in results:
        sb_wall, sb_rss, _ = results["segbench"]
        checks = []
        if "pycocotools" in results:
            checks.append((f"speed >= 5x pycocotools: {results['pycocotools'][0] / sb_wall:.2f}x", results["pycocotools"][0] / sb_wall >= 5))
            checks.append((f"peak memory <= pycocotools': {sb_rss:.0f} vs {results['pycocotools'][1]:.0f} MiB", sb_rss <= results["pycocotools"][1]))
        if "faster-coco-eval" in results:
            checks.append((f"speed >= 1.5x faster-coco-eval: {results['faster-coco-eval'][0] / sb_wall:.2f}x", results["faster-coco-eval"][0] / sb_wall >= 1.5))
        for text, ok in checks:
            print(f"target {'met' if ok else 'MISSED'}: {text}")
    if "pycocotools" in results:
        ref = results["pycocotools"][2]
        for name, (_, _, stats) in results.items():
            diff = float(np.abs(stats - ref).max())
            print(f"max |{name} - pycocotools| over the 12 stats: {diff:.3g}")
    if "segbench" in results:
        rec = json.loads(best_record)
        timings = rec["meta"].get("timings", {})
        total = results["segbench"][0]
        print("\nwhere segbench's time goes (one process):")
        inside = sum(timings.values())
        rows = [("Python start-up, imports, CLI parsing, output", total - inside)]
        rows += list(timings.items())
        for label, sec in rows:
            print(f"  {label:<50}{sec:>8.3f} s {100 * sec / total:>5.1f} %")
        print(f"  {'total (wall)':<50}{total:>8.3f} s")


if __name__ == "__main__":
    main()
