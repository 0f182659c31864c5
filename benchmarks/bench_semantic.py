"""Semantic evaluation speed: segbench vs the usual numpy idioms, on Cityscapes-sized label maps.

    python benchmarks/bench_semantic.py [--pairs 200] [--png-pairs 100] [--skip-e2e]

1. Kernel on decoded arrays (200 pairs of 1024x2048, 19 classes + 255 ignore): segbench's Numba
   confusion matrix vs ``np.bincount(n*gt[m]+pred[m], minlength=n*n)`` (the FCN/mmseg idiom,
   with the int64 cast it needs) vs a plain ``np.sum`` over the same bytes (memory floor).
2. PNG decoders on the same files: Pillow, OpenCV, pyspng and Wuffs (where installed), 1 and 2
   threads.
3. Whole process on 100 PNG pairs: ``segbench eval semantic`` vs the usual loop (Pillow decode +
   numpy bincount per image, one process), both as fresh subprocesses; and peak RSS of segbench
   at 25 vs 100 images (flat = streaming).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data" / "semantic-cityscapes-like"
N_CLASSES = 19
H, W = 1024, 2048


def label_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A Cityscapes-like label map and a noisy prediction of it.

    The ground truth is painted from ~400 random polygons (irregular, unaligned boundaries) of
    19 classes with 255 "void" regions; the prediction shifts the map by a few pixels (boundary
    errors) and repaints ~40 random polygons with wrong classes.
    """
    import cv2

    rng = np.random.default_rng(seed)

    def paint(img, count, size, classes):
        for _ in range(count):
            cy, cx = rng.uniform(0, H), rng.uniform(0, W)
            k = int(rng.integers(3, 9))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(0.3, 1.0, k) * size * rng.uniform(0.3, 1.0)
            pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).astype(np.int32)
            cv2.fillPoly(img, [pts], int(rng.choice(classes)))

    gt = np.full((H, W), int(rng.integers(0, N_CLASSES)), np.uint8)
    paint(gt, 150, 400, np.arange(N_CLASSES))
    paint(gt, 250, 120, np.arange(N_CLASSES))
    paint(gt, 25, 60, [255])
    dy, dx = rng.integers(-3, 4, 2)
    pred = np.roll(np.where(gt == 255, 0, gt), (int(dy), int(dx)), axis=(0, 1)).astype(np.uint8)
    paint(pred, 40, 150, np.arange(N_CLASSES))
    return gt, pred


def timeit(fn, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_kernel(num_pairs: int) -> None:
    from segbench.kernels.confusion import confusion_matrix_update

    distinct = [label_pair(s) for s in range(min(20, num_pairs))]
    pairs = [distinct[i % len(distinct)] for i in range(num_pairs)]
    n = N_CLASSES

    def segbench_kernel():
        cm = np.zeros((n, n), np.int64)
        for gt, pred in pairs:
            confusion_matrix_update(gt, pred, n, 255, cm)
        return cm

    def bincount_idiom():
        cm = np.zeros(n * n, np.int64)
        for gt, pred in pairs:
            m = gt != 255
            cm += np.bincount(n * gt[m].astype(np.int64) + pred[m], minlength=n * n)
        return cm.reshape(n, n)

    def sum_floor():
        total = 0
        for gt, pred in pairs:
            total += int(np.sum(gt, dtype=np.uint64)) + int(np.sum(pred, dtype=np.uint64))
        return total

    def segbench_two_threads():  # as the engine runs it: images split over threads (GIL released)
        from concurrent.futures import ThreadPoolExecutor

        def half(part):
            cm = np.zeros((n, n), np.int64)
            for gt, pred in part:
                confusion_matrix_update(gt, pred, n, 255, cm)
            return cm

        with ThreadPoolExecutor(2) as pool:
            return sum(pool.map(half, (pairs[0::2], pairs[1::2])))

    segbench_kernel()  # compile / load cache
    assert (segbench_kernel() == bincount_idiom()).all()
    assert (segbench_two_threads() == bincount_idiom()).all()
    t_k, t_b, t_s, t_2 = float("inf"), float("inf"), float("inf"), float("inf")
    for _ in range(5):  # round-robin, best of 5
        t_k = min(t_k, timeit(segbench_kernel))
        t_b = min(t_b, timeit(bincount_idiom))
        t_s = min(t_s, timeit(sum_floor))
        t_2 = min(t_2, timeit(segbench_two_threads))
    mp = num_pairs * H * W / 1e6
    print(f"\n== kernel on {num_pairs} decoded {H}x{W} pairs ({len(distinct)} distinct), {n} classes + 255")
    print(f"segbench kernel : {t_k:7.3f} s  ({t_k / mp * 1e3:.2f} ms/MPix-pair)")
    print(f"numpy bincount  : {t_b:7.3f} s")
    print(f"np.sum floor    : {t_s:7.3f} s")
    print(f"ratio bincount / segbench = {t_b / t_k:.1f}x   (target >= 8x)")
    print(f"ratio segbench / np.sum   = {t_k / t_s:.2f}x  (target <= 3x)")
    print(f"for reference, segbench kernel on 2 threads over images: {t_2:.3f} s "
          f"({t_b / t_2:.1f}x the one-thread bincount idiom)")


def ensure_pngs(count: int) -> list[Path]:
    import cv2

    (DATA / "gt").mkdir(parents=True, exist_ok=True)
    (DATA / "pred").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        g, p = DATA / "gt" / f"img{i:04d}.png", DATA / "pred" / f"img{i:04d}.png"
        if not (g.exists() and p.exists()):
            gt, pred = label_pair(1000 + i)
            cv2.imwrite(str(g), gt)
            cv2.imwrite(str(p), pred)
    return sorted((DATA / "gt").glob("*.png"))[:count]


def bench_decoders(files: list[Path]) -> None:
    """Per-image decode time of each candidate, one thread and two threads (a decoder that holds
    the GIL gains nothing from threads)."""
    from concurrent.futures import ThreadPoolExecutor

    import cv2
    from PIL import Image

    sample = files[:20]
    candidates = {
        "Pillow": lambda f: np.asarray(Image.open(f)),
        "OpenCV": lambda f: cv2.imread(str(f), cv2.IMREAD_UNCHANGED),
    }
    try:
        import pyspng

        candidates["pyspng (libspng)"] = lambda f: pyspng.load(f.read_bytes())
    except ImportError:
        pass
    from segbench.datasets import png_wuffs

    if png_wuffs.AVAILABLE:
        candidates["Wuffs (pywuffs)"] = lambda f: png_wuffs.decode_png(f.read_bytes())
    print(f"\n== PNG decode, {len(sample)} label maps of {H}x{W}: ms per image")
    print(f"{'decoder':18s} {'1 thread':>9s} {'2 threads':>10s}")
    with ThreadPoolExecutor(2) as pool:
        for name, read in candidates.items():
            one = timeit(lambda: [read(f) for f in sample], 3) / len(sample) * 1e3
            two = timeit(lambda: list(pool.map(read, sample)), 3) / len(sample) * 1e3
            print(f"{name:18s} {one:9.2f} {two:10.2f}")
    print("segbench decodes with Wuffs where the 'fast' extra is installed, else OpenCV")


BASELINE = textwrap.dedent(
    """
    import sys, numpy as np
    from pathlib import Path
    from PIL import Image
    gt_dir, pred_dir, n, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cm = np.zeros(n * n, np.int64)
    for g in sorted(gt_dir.glob("*.png"))[:count]:
        gt = np.asarray(Image.open(g)); pred = np.asarray(Image.open(pred_dir / g.name))
        m = gt != 255
        cm += np.bincount(n * gt[m].astype(np.int64) + pred[m], minlength=n * n)
    cm = cm.reshape(n, n); tp = np.diag(cm); u = cm.sum(0) + cm.sum(1) - tp
    print("miou", np.nanmean(tp / np.where(u > 0, u, np.nan)))
    """
)


def run_timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) of the child and its stdout."""
    wrapper = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "r=subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "dt=time.perf_counter()-t; "
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode); "
        "sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    dt, rss, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{out.stderr}")
    return float(dt), int(rss), out.stderr


def subset_dirs(count: int) -> tuple[Path, Path]:
    sub = DATA.parent / f"{DATA.name}-first{count}"
    for kind in ("gt", "pred"):
        d = sub / kind
        d.mkdir(parents=True, exist_ok=True)
        for f in sorted((DATA / kind).glob("*.png"))[:count]:
            link = d / f.name
            if not link.exists():
                link.symlink_to(f)
    return sub / "gt", sub / "pred"


def bench_end_to_end(count: int, repeat: int = 3) -> None:
    ensure_pngs(count)
    gt_dir, pred_dir = subset_dirs(count)
    segbench = [sys.executable, "-m", "segbench", "eval", "semantic", "--gt", str(gt_dir), "--pred", str(pred_dir),
                "--num-classes", str(N_CLASSES), "--quiet", "--format", "json"]
    run_timed(segbench)  # warm the Numba cache and the page cache
    baseline = [sys.executable, "-c", BASELINE, str(gt_dir), str(pred_dir), str(N_CLASSES), str(count)]
    runs: dict[str, list] = {"base": [], "seg": [], "seg1": []}
    for _ in range(repeat):  # round-robin, best of `repeat`: this VM's timings swing 30-50%
        runs["base"].append(run_timed(baseline))
        runs["seg"].append(run_timed(segbench))
        runs["seg1"].append(run_timed(segbench + ["--jobs", "1"]))
    (t_base, rss_base, _), (t_seg, rss_seg, _), (t_seg1, _, _) = (min(runs[k]) for k in ("base", "seg", "seg1"))
    print(f"\n== whole process, {count} PNG pairs of {H}x{W} ({os.cpu_count()} CPUs, best of {repeat})")
    print(f"usual loop (Pillow + bincount, 1 process) : {t_base:6.2f} s  peak RSS {rss_base / 1024:.0f} MiB")
    print(f"segbench eval semantic (all cores)       : {t_seg:6.2f} s  peak RSS {rss_seg / 1024:.0f} MiB")
    print(f"segbench eval semantic --jobs 1          : {t_seg1:6.2f} s")
    print(f"ratio usual / segbench = {t_base / t_seg:.2f}x   (target >= 3x)")
    small = max(1, count // 4)
    g_small, p_small = subset_dirs(small)
    seg_small = list(segbench)
    seg_small[seg_small.index("--gt") + 1] = str(g_small)
    seg_small[seg_small.index("--pred") + 1] = str(p_small)
    _, rss_small, _ = run_timed(seg_small)
    print(f"peak RSS: {small} images {rss_small / 1024:.0f} MiB vs {count} images {rss_seg / 1024:.0f} MiB (flat = streaming)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--png-pairs", type=int, default=100)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="round-robin repeats of the whole-process runs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    bench_kernel(args.pairs)
    if not args.skip_e2e:
        files = ensure_pngs(args.png_pairs)
        bench_decoders(files)
        bench_end_to_end(args.png_pairs, args.repeat)


if __name__ == "__main__":
    main()
