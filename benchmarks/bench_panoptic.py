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
   segbench's decoder (OpenCV ``imread``) on the same number of threads, and the same with
   Pillow on one core for reference.

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
    import json, sys
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    decoder, jobs, root = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    if decoder == "opencv":
        import cv2
        read = lambda p: cv2.imread(str(p), cv2.IMREAD_UNCHANGED).shape
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


def run_timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB) of the largest process in the child's tree, and its stdout."""
    wrapper = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "r=subprocess.run(sys.argv[1:], capture_output=True, text=True); dt=time.perf_counter()-t; "
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode); "
        "sys.stderr.write(r.stdout[-3000:] + r.stderr[-3000:])"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env)
    dt, rss, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{out.stderr}")
    return float(dt), int(rss) // 1024, out.stderr


def best(cmd, repeat, env=None):
    runs = [run_timed(cmd, env) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]


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
    t_cs, rss_cs, cs_text = best([sys.executable, "-c", CITYSCAPES, str(root), str(cs_out)], args.repeat, env)
    t_sb, rss_sb, _ = best(segbench(root), args.repeat, env)
    t_sb1, _, _ = best(segbench(root, "--jobs", "1"), args.repeat, env)
    t_floor, rss_floor, _ = best([sys.executable, "-c", DECODE, "opencv", str(jobs), str(root)], args.repeat, env)
    t_floor1, _, _ = best([sys.executable, "-c", DECODE, "opencv", "1", str(root)], args.repeat, env)
    t_pil1, _, _ = best([sys.executable, "-c", DECODE, "pillow", "1", str(root)], args.repeat, env)
    t_empty, _, _ = best([sys.executable, "-c", "import cv2"], args.repeat, env)

    pq_cs = float(cs_text.split("PQ ")[-1].split()[0]) if "PQ " in cs_text else float("nan")
    pq_sb = json.loads((root.parent / "segbench-result.json").read_text())["metrics"]["PQ"]
    print(f"\n== PQ on {args.images} image pairs of {h}x{w}, whole process, best of {args.repeat} "
          f"({jobs} CPUs, {os.cpu_count()} cores visible)")
    print(f"PQ: segbench {pq_sb!r}  cityscapesScripts {pq_cs!r}  |diff| = {abs(pq_sb - pq_cs):.1e}")
    print(f"cityscapesScripts evaluatePanoptic ({os.cpu_count()} procs) : {t_cs:6.2f} s  peak {rss_cs} MiB/process")
    print(f"segbench eval panoptic ({jobs} threads)          : {t_sb:6.2f} s  peak {rss_sb} MiB")
    print(f"segbench eval panoptic --jobs 1               : {t_sb1:6.2f} s")
    print(f"decode floor, OpenCV, {jobs} threads              : {t_floor:6.2f} s  peak {rss_floor} MiB")
    print(f"decode floor, OpenCV, 1 thread                : {t_floor1:6.2f} s")
    print(f"decode floor, Pillow, 1 thread                : {t_pil1:6.2f} s")
    print(f"python + import cv2 (no work)                 : {t_empty:6.2f} s")
    print(f"ratio cityscapesScripts / segbench = {t_cs / t_sb:.2f}x   (target >= 2x)")
    print(f"ratio segbench / decode floor      = {t_sb / t_floor:.2f}x   (target <= 1.3x; same threads)")
    print(f"ratio segbench --jobs 1 / 1-thread floor = {t_sb1 / t_floor1:.2f}x")

    print("\n== peak RSS of segbench vs number of images (same files, JSON repeated)")
    for times in (1, 2, 4):
        r = root if times == 1 else repeated_json(root, times)
        t, rss, _ = run_timed(segbench(r), env)
        print(f"{args.images * times:6d} images: {rss:5d} MiB  ({t:.2f} s)")


if __name__ == "__main__":
    main()
