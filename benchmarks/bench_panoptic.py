"""Panoptic quality speed and memory: segbench vs cityscapesScripts' pq_compute port vs the decode floor.

    python benchmarks/bench_panoptic.py [--images 200] [--size 480x640] [--repeat 3]

Data: ``segbench synth`` panoptic output (COCO-panoptic RGB PNGs + JSON, GT and a perturbed
prediction, crowd regions, VOID borders), generated once into ``bench-data/`` and reused.

Everything is timed as a whole fresh process (interpreter start, imports, JSON, decode, compute),
in one run, best of ``--repeat``:

1. cityscapesScripts ``evaluatePanoptic`` (panopticapi's ``pq_compute`` ported; a
   ``multiprocessing`` pool of ``cpu_count()`` processes, Pillow decode, ``np.unique`` pairs);
2. ``segbench eval panoptic`` (default jobs = all cores), and with ``--jobs 1``;
3. the decode floor: a bare process that only decodes the same GT and prediction PNGs with
   segbench's decoder on the same number of threads: Wuffs (pywuffs, one decoder per thread, as
   segbench uses it when the ``fast`` extra is installed) and, for reference, OpenCV ``imread``
   into one reused buffer per thread (segbench's fallback), OpenCV into fresh arrays and Pillow.

Then peak RSS of segbench vs the number of images (the JSON repeated with new image ids over
the same files, so only the count changes): flat = streaming.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DECODE = textwrap.dedent(
    """
    import json, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    decoder, jobs, root = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    local = threading.local()
    if decoder == "opencv":
        import cv2
        read = lambda p: cv2.imread(str(p), cv2.IMREAD_UNCHANGED).shape
    elif decoder == "opencv-reuse":  # decode into one buffer per thread (OpenCV >= 5)
        import cv2
        def read(p):
            buf = getattr(local, "buf", None)
            if buf is not None:
                try:
                    return cv2.imread(str(p), buf, cv2.IMREAD_UNCHANGED).shape
                except cv2.error:
                    pass
            local.buf = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
            return local.buf.shape
    elif decoder == "wuffs":  # pywuffs, one decoder per thread, as segbench uses it
        from pywuffs import ImageDecoderType, PixelFormat
        from pywuffs.aux import ImageDecoder, ImageDecoderConfig
        def read(p):
            dec = getattr(local, "dec", None)
            if dec is None:
                cfg = ImageDecoderConfig()
                cfg.enabled_decoders = [ImageDecoderType.PNG]
                cfg.pixel_format = PixelFormat.RGB
                dec = local.dec = ImageDecoder(cfg)
            with open(p, "rb") as f:
                return dec.decode(f.read()).pixbuf.shape
    else:
        import numpy as np
        from PIL import Image
        read = lambda p: np.asarray(Image.open(p)).shape
    files = []
    for kind in ("gt", "pred"):
        for a in json.loads((root / f"{kind}.json").read_text())["annotations"]:
            files.append(root / kind / a["file_name"])
    if jobs == 1:
        shapes = [read(f) for f in files]
    else:
        with ThreadPoolExecutor(jobs) as pool:
            shapes = list(pool.map(read, files))
    print(len(shapes))
    """
)

CITYSCAPES = textwrap.dedent(
    """
    import sys
    from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import evaluatePanoptic
    root, out = sys.argv[1], sys.argv[2]
    r = evaluatePanoptic(f"{root}/gt.json", f"{root}/gt", f"{root}/pred.json", f"{root}/pred", out)
    print("PQ", repr(float(r["All"]["pq"])))
    """
)


CPU = {}
try:  # the decoder segbench uses: Wuffs with the ``fast`` extra, else OpenCV into reused buffers
    import pywuffs  # noqa: F401

    FLOOR = "wuffs"
except ImportError:
    FLOOR = "opencv-reuse"


def run_timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB) of the largest process in the child's tree, and its stdout.
    The CPU time (user + system, all processes of the tree) is recorded in ``CPU[tuple(cmd)]``."""
    wrapper = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "r=subprocess.run(sys.argv[1:], capture_output=True, text=True); dt=time.perf_counter()-t; "
        "u=resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(dt, u.ru_maxrss, u.ru_utime + u.ru_stime, r.returncode); "
        "sys.stderr.write(r.stdout[-3000:] + r.stderr[-3000:])"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env)
    dt, rss, cpu, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{out.stderr}")
    CPU[tuple(cmd)] = min(CPU.get(tuple(cmd), float("inf")), float(cpu))
    return float(dt), int(rss) // 1024, out.stderr


def ensure_data(images: int, h: int, w: int) -> Path:
    out = ROOT / "bench-data" / f"panoptic-{h}x{w}-{images}"
    if not (out / "panoptic" / "pred.json").exists():
        sys.path.insert(0, str(ROOT))
        from segbench.datasets.synth_writer import SynthConfig, write_synthetic

        print(f"generating {images} synthetic panoptic pairs of {h}x{w} in {out} ...", flush=True)
        write_synthetic(SynthConfig(out, images, h, w, 12, seed=0, quality=0.7), ("panoptic",))
    return out / "panoptic"


def repeated_json(root: Path, times: int) -> Path:
    """A copy of the dataset's JSONs with every image listed ``times`` times (new image ids)."""
    out = root.parent / f"repeat{times}"
    out.mkdir(exist_ok=True)
    for kind in ("gt", "pred"):
        data = json.loads((root / f"{kind}.json").read_text())
        anns = data["annotations"]
        data["annotations"] = [dict(a, image_id=f"{r}-{a['image_id']}") for r in range(times) for a in anns]
        (out / f"{kind}.json").write_text(json.dumps(data))
        link = out / kind
        if not link.exists():
            link.symlink_to(root / kind)
    return out


def in_process(root: Path, jobs: int, repeat: int) -> None:
    """Steady state inside one process (imports and Numba start-up excluded): the engine vs a bare
    threaded decode of the same PNGs with the same decoder (Wuffs where installed) and threads."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    sys.path.insert(0, str(ROOT))
    from segbench.datasets.panoptic_io import load_panoptic_json, match_annotations, read_panoptic_png
    from segbench.engine.panoptic import _ImageEvaluator, evaluate_panoptic
    from segbench.kernels.panoptic import pair_counts, warm_up

    warm_up()
    files = [root / kind / a["file_name"] for kind in ("gt", "pred")
             for a in json.loads((root / f"{kind}.json").read_text())["annotations"]]

    def decode():
        with ThreadPoolExecutor(jobs) as pool:
            for _ in pool.map(read_panoptic_png, files):
                pass

    def engine():
        evaluate_panoptic(root / "gt.json", root / "gt", root / "pred.json", root / "pred", jobs=jobs)

    best = {"decode": float("inf"), "engine": float("inf")}
    for _ in range(max(repeat, 3)):
        for key, fn in (("decode", decode), ("engine", engine)):
            t = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t)
    print(f"\n== in one process, {len(files) // 2} pairs, {jobs} threads, best of {max(repeat, 3)}")
    print(f"decode only (segbench's reader) : {best['decode']:6.3f} s")
    print(f"segbench engine                 : {best['engine']:6.3f} s   ratio {best['engine'] / best['decode']:.2f}x")

    # One thread, per stage (robust to other load on the machine): decode, pair counting, the rest.
    import numpy as np

    gt = load_panoptic_json(root / "gt.json", "ground truth")
    pairs, _ = match_annotations(gt, load_panoptic_json(root / "pred.json", "prediction", gt.categories))
    evaluator = _ImageEvaluator(root / "gt.json", root / "pred.json", root / "gt", root / "pred",
                                {c.id: k for k, c in enumerate(gt.categories)}, "auto")
    stage = {"decode": float("inf"), "count": float("inf"), "image": float("inf")}
    for _ in range(max(repeat, 3)):
        acc = dict.fromkeys(stage, 0.0)
        for a, b in pairs:
            t0 = time.perf_counter()
            g, go = read_panoptic_png(root / "gt" / a.file_name)
            p, po = read_panoptic_png(root / "pred" / b.file_name)
            t1 = time.perf_counter()
            pair_counts(g, p, np.sort(np.asarray(a.ids, np.int64)), np.sort(np.asarray(b.ids, np.int64)), go, po)
            t2 = time.perf_counter()
            evaluator.count(evaluator.decode((a, b)))
            t3 = time.perf_counter()
            acc["decode"] += t1 - t0
            acc["count"] += t2 - t1
            acc["image"] += t3 - t2
        stage = {k: min(stage[k], acc[k]) for k in stage}
    n = len(pairs)
    print(f"one thread, per pair: decode {stage['decode'] / n * 1e3:.2f} ms, pair counting "
          f"{stage['count'] / n * 1e3:.3f} ms, whole per-image step {stage['image'] / n * 1e3:.2f} ms "
          f"(= {stage['image'] / stage['decode']:.2f}x decode)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--size", default="480x640")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    root = ensure_data(args.images, h, w)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    jobs = len(os.sched_getaffinity(0))

    def segbench(r: Path, *extra):
        return [sys.executable, "-m", "segbench", "eval", "panoptic", "--gt", str(r / "gt.json"), "--gt-dir",
                str(r / "gt"), "--pred", str(r / "pred.json"), "--pred-dir", str(r / "pred"), "-q",
                "--format", "csv", "--json", str(r.parent / "segbench-result.json"), *extra]

    run_timed(segbench(root), env)  # warm the Numba cache and the page cache
    cs_out = root.parent / "cityscapes-result.json"
    commands = {
        "cs": [sys.executable, "-c", CITYSCAPES, str(root), str(cs_out)],
        "sb": segbench(root),
        "sb1": segbench(root, "--jobs", "1"),
        "floor": [sys.executable, "-c", DECODE, FLOOR, str(jobs), str(root)],
        "floor1": [sys.executable, "-c", DECODE, FLOOR, "1", str(root)],
        "cv": [sys.executable, "-c", DECODE, "opencv-reuse", str(jobs), str(root)],
        "fresh1": [sys.executable, "-c", DECODE, "opencv", "1", str(root)],
        "pil1": [sys.executable, "-c", DECODE, "pillow", "1", str(root)],
        "empty": [sys.executable, "-c", "import cv2"],
    }
    # Round-robin repeats so that load from other processes hits every tool alike; best of each.
    times = {k: [] for k in commands}
    peak = {k: 0 for k in commands}
    cs_text = ""
    for _ in range(args.repeat):
        for key, cmd in commands.items():
            t, rss, text = run_timed(cmd, env)
            times[key].append(t)
            peak[key] = max(peak[key], rss)
            cs_text = text if key == "cs" else cs_text
    t_cs, t_sb, t_sb1, t_floor, t_floor1, t_cv, t_fresh1, t_pil1, t_empty = (min(times[k]) for k in commands)
    rss_cs, rss_sb, rss_floor = peak["cs"], peak["sb"], peak["floor"]
    pq_cs = float(cs_text.split("PQ ")[-1].split()[0]) if "PQ " in cs_text else float("nan")
    pq_sb = json.loads((root.parent / "segbench-result.json").read_text())["metrics"]["PQ"]
    print(f"\n== PQ on {args.images} image pairs of {h}x{w}, whole process, best of {args.repeat} "
          f"({jobs} CPUs, {os.cpu_count()} cores visible)")
    print(f"PQ: segbench {pq_sb!r}  cityscapesScripts {pq_cs!r}  |diff| = {abs(pq_sb - pq_cs):.1e}")
    cpu = {k: CPU[tuple(c)] for k, c in commands.items()}
    print("                                              wall (best)   CPU (best)")
    print(f"cityscapesScripts evaluatePanoptic ({os.cpu_count()} procs) : {t_cs:6.2f} s  {cpu['cs']:6.2f} s  "
          f"peak {rss_cs} MiB (largest process)")
    print(f"segbench eval panoptic ({jobs} threads)          : {t_sb:6.2f} s  {cpu['sb']:6.2f} s  peak {rss_sb} MiB")
    print(f"segbench eval panoptic --jobs 1               : {t_sb1:6.2f} s  {cpu['sb1']:6.2f} s")
    print(f"decode floor, {FLOOR:6s} {jobs} threads              : {t_floor:6.2f} s  {cpu['floor']:6.2f} s  "
          f"peak {rss_floor} MiB")
    print(f"decode floor, {FLOOR:6s} 1 thread                : {t_floor1:6.2f} s  {cpu['floor1']:6.2f} s")
    print(f"decode, OpenCV reused buffers, {jobs} threads     : {t_cv:6.2f} s  {cpu['cv']:6.2f} s")
    print(f"decode, OpenCV fresh arrays, 1 thread         : {t_fresh1:6.2f} s  {cpu['fresh1']:6.2f} s")
    print(f"decode floor, Pillow, 1 thread                : {t_pil1:6.2f} s  {cpu['pil1']:6.2f} s")
    print(f"python + import cv2 (no work)                 : {t_empty:6.2f} s  {cpu['empty']:6.2f} s")
    print(f"ratio cityscapesScripts / segbench = {t_cs / t_sb:.2f}x   (target >= 2x)")
    print(f"ratio segbench / decode floor      = {t_sb / t_floor:.2f}x   (target <= 1.3x; same threads)")
    print(f"ratio segbench --jobs 1 / 1-thread floor = {t_sb1 / t_floor1:.2f}x wall, "
          f"CPU time segbench / floor = {cpu['sb'] / cpu['floor']:.2f}x")

    in_process(root, jobs, args.repeat)

    print("\n== dataset size: the same files listed 1x and 4x (new image ids); best of 2 each")
    sizes = (1, 4)
    res = {}
    for _ in range(2):
        for times in sizes:
            r = root if times == 1 else repeated_json(root, times)
            for key, cmd in (("sb", segbench(r)),
                             ("floor", [sys.executable, "-c", DECODE, FLOOR, str(jobs), str(r)]),
                             ("cs", [sys.executable, "-c", CITYSCAPES, str(r), str(cs_out)])):
                t, rss, _ = run_timed(cmd, env)
                old = res.get((key, times), (float("inf"), 0))
                res[(key, times)] = (min(old[0], t), max(old[1], rss))
    n0, n1 = args.images * sizes[0], args.images * sizes[1]
    for times in sizes:
        print(f"{args.images * times:6d} images: segbench {res[('sb', times)][0]:6.2f} s peak {res[('sb', times)][1]} MiB"
              f" | decode floor {res[('floor', times)][0]:6.2f} s | cityscapesScripts {res[('cs', times)][0]:6.2f} s")
    marg = {k: (res[(k, sizes[1])][0] - res[(k, sizes[0])][0]) / (n1 - n0) * 1e3 for k in ("sb", "floor", "cs")}
    print(f"marginal cost per image pair: segbench {marg['sb']:.2f} ms, decode floor {marg['floor']:.2f} ms, "
          f"cityscapesScripts {marg['cs']:.2f} ms")
    print(f"marginal ratios: cityscapesScripts / segbench = {marg['cs'] / marg['sb']:.2f}x, "
          f"segbench / decode floor = {marg['sb'] / marg['floor']:.2f}x")
    print(f"peak RSS segbench {n0} -> {n1} images: {res[('sb', sizes[0])][1]} -> {res[('sb', sizes[1])][1]} MiB")


if __name__ == "__main__":
    main()
