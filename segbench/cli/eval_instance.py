"""``segbench eval instance``: COCO mask (or box) AP, identical to pycocotools' COCOeval."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, info
from segbench.cli.eval_cmd import app

DEFAULT_AREAS = "all=0:1e10,small=0:1024,medium=1024:9216,large=9216:1e10"


def parse_max_dets(text: str) -> tuple[int, ...]:
    from segbench.errors import InputError

    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--max-dets {text!r}: expected comma-separated positive integers, e.g. 1,10,100") from None
    return values


def parse_area_ranges(text: str) -> tuple[tuple[str, float, float], ...]:
    """``"all=0:1e10,small=0:1024,..."`` -> ((name, low, high), ...) in pixels (area units)."""
    from segbench.errors import InputError

    out = []
    for part in text.split(","):
        try:
            name, bounds = part.split("=")
            lo, hi = (float(v) for v in bounds.split(":"))
        except ValueError:
            raise InputError(f"--area-ranges {text!r}: expected name=low:high[,...], e.g. {DEFAULT_AREAS}") from None
        out.append((name.strip(), lo, hi))
    return tuple(out)


@app.command("instance")
def instance(
    gt: Optional[Path] = typer.Option(None, "--gt", help="COCO instances JSON (images, annotations, categories)."),
    pred: Path = typer.Option(..., "--pred", help="COCO results JSON: a list of {image_id, category_id, segmentation, score}."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Registered dataset whose instances JSON is the ground truth (instead of --gt)."),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset root folder (with --dataset)."),
    split: str = typer.Option("val", "--split", help="Dataset split (with --dataset)."),
    iou_type: str = typer.Option("segm", "--iou-type", help="segm (mask IoU) or bbox (box IoU)."),
    max_dets: str = typer.Option("1,10,100", "--max-dets", help="Detections kept per image and category, for AR."),
    area_ranges: str = typer.Option(DEFAULT_AREAS, "--area-ranges", help="Area ranges name=low:high (pixels); 'all' is required."),
    per_class: bool = typer.Option(False, "--per-class", help="Add the per-category AP table."),
    fix_maxdets: bool = typer.Option(False, "--fix-maxdets", help="Read AP at the largest --max-dets instead of pycocotools' hard-coded 100."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result record here (atomically)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format on stdout."),
    pr_curves: Optional[Path] = typer.Option(None, "--pr-curves", help="Write precision at the 101 recall points per category and IoU threshold to this CSV."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, help="Threads for IoU and matching (0 = all cores; 1 was fastest on 2 cores)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model label stored in the record."),
) -> None:
    """COCO AP/AR (12 numbers) exactly as pycocotools' COCOeval computes them, quirks included."""
    with cli_errors():
        import time

        from segbench.errors import InputError
        from segbench.fileio import check_output_paths

        # Every output path is checked before any work: nothing half-written.
        check_output_paths((json_out, "result"), (pr_curves, "PR-curves CSV"))
        if (gt is None) == (dataset is None):
            raise InputError("give either --gt INSTANCES.json or --dataset NAME (with --root and --split), not both")
        dataset_label = None
        if dataset is not None:
            from segbench.datasets.base import get_dataset

            adapter = get_dataset(dataset)
            adapter.check_split(split)
            gt = Path(adapter.instance_annotations(root, split))
            dataset_label = f"{dataset}/{split}"
        from segbench.engine.instance import evaluate_instance, instance_record, pr_curves_csv  # = segbench.api's
        from segbench.metrics.instance import compute
        from segbench.report.records import record_tables

        from segbench.kernels.numba_startup import kernel_start_up

        with kernel_start_up():
            evaluation = evaluate_instance(gt, pred, iou_type=iou_type, max_dets=parse_max_dets(max_dets),
                                           area_ranges=parse_area_ranges(area_ranges), jobs=jobs)
        t = time.perf_counter()
        result = compute(evaluation.stats, fix_maxdets)
        evaluation.timings["accumulate + summarize"] = time.perf_counter() - t
        evaluation.seconds += evaluation.timings["accumulate + summarize"]
        record = instance_record(evaluation, fix_maxdets=fix_maxdets, dataset=dataset_label, model=model,
                                 result=result)
        if pr_curves is not None:
            from segbench.fileio import atomic_write_text

            atomic_write_text(pr_curves, pr_curves_csv(result, evaluation.stats), "PR-curves CSV")
        if evaluation.stats.num_detections == 0:
            info("the results list is empty: every AP and AR is 0 (categories without ground truth stay undefined)")
        emit(record, record_tables(record, per_class=per_class), fmt, json_out)
